/**
 * The monitor's Prometheus metrics (`GET /metrics`): host and service gauges read from the latest
 * snapshot when scraped (nothing is computed between scrapes), alert and delivery counters, the
 * outbox backlog and the jobs' run and failure counts. Everything lives in the registry passed
 * in, never prom-client's global one.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { JobStats } from "./scheduler.js";
import type { LatestSnapshot } from "../monitor/latest-snapshot.js";

export interface MonitorMetricsSources {
  latest: LatestSnapshot;
  /** Outbox rows waiting for Telegram. */
  outboxPending: () => Promise<number>;
  /** Incidents open now. */
  openIncidents: () => Promise<number>;
  jobStats: () => Record<string, JobStats>;
  now: () => Date;
}

/** The counters the monitor increments as things happen. */
export interface MonitorMetrics {
  /** Alerts queued for Telegram, by subject kind, condition and change. */
  alertsQueued: Counter<"subject_kind" | "condition" | "change">;
  /** Outbox rows by what delivery did with them: delivered, dropped, muted, failed, rate-limited. */
  deliveries: Counter<"outcome">;
}

/** Registers the monitor's metrics in `registry`; returns the counters to increment. */
export function registerMonitorMetrics(registry: Registry, sources: MonitorMetricsSources): MonitorMetrics {
  const registers = [registry];
  const snapshot = () => sources.latest.current();

  hostGauge(registers, "gaia_host_cpu_percent", "Host CPU busy, % of all cores, over the last probe interval", () => snapshot()?.host.cpuPercent);
  hostGauge(registers, "gaia_host_memory_percent", "Host memory used (total - available), % of total", () => snapshot()?.host.memoryPercent);
  hostGauge(registers, "gaia_host_memory_used_bytes", "Host memory used (total - available)", () => snapshot()?.host.memoryUsedBytes);
  hostGauge(registers, "gaia_host_memory_total_bytes", "Host memory in total", () => snapshot()?.host.memoryTotalBytes);
  hostGauge(registers, "gaia_host_disk_percent", "Disk of the home folder, % used", () => snapshot()?.host.diskPercent);
  hostGauge(registers, "gaia_host_uptime_seconds", "Host uptime", () => snapshot()?.host.uptimeSeconds);
  new Gauge({
    name: "gaia_host_load",
    help: "Host load average",
    labelNames: ["period"],
    registers,
    collect() {
      this.reset();
      const load = snapshot()?.host.load;
      if (!load) return;
      this.set({ period: "1m" }, load[0]);
      this.set({ period: "5m" }, load[1]);
      this.set({ period: "15m" }, load[2]);
    },
  });
  hostGauge(registers, "gaia_snapshot_age_seconds", "Age of the latest probe snapshot", () => {
    const age = sources.latest.ageMs(sources.now());
    return age === undefined ? undefined : age / 1000;
  });

  const perService = (name: string, help: string, value: (s: NonNullable<ReturnType<typeof snapshot>>["services"][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["service"],
      registers,
      collect() {
        this.reset();
        for (const service of snapshot()?.services ?? []) this.set({ service: service.name }, value(service));
      },
    });
  perService("gaia_service_up", "1 when at least one process of the service was found", (s) => (s.up ? 1 : 0));
  perService("gaia_service_processes", "Processes matched for the service", (s) => s.processCount);
  perService("gaia_service_cpu_percent", "Service CPU, % of ONE core summed over its processes", (s) => s.cpuPercent);
  perService("gaia_service_memory_bytes", "Service resident memory summed over its processes", (s) => s.memoryBytes);

  new Gauge({
    name: "gaia_outbox_pending",
    help: "Alerts and notices waiting for Telegram",
    registers,
    async collect() {
      this.set(await sources.outboxPending());
    },
  });
  new Gauge({
    name: "gaia_incidents_open",
    help: "Incidents open now (services, host and tasks)",
    registers,
    async collect() {
      this.set(await sources.openIncidents());
    },
  });
  new Gauge({
    name: "gaia_process_resident_memory_bytes",
    help: "Resident memory of the gaia process",
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });

  // Job counters come from the scheduler's own counts; a counter only moves forward by the difference.
  const seen = new Map<string, number>();
  const jobCounter = (name: string, help: string, pick: (stats: JobStats) => number) =>
    new Counter({
      name,
      help,
      labelNames: ["job"],
      registers,
      collect() {
        for (const [job, stats] of Object.entries(sources.jobStats())) {
          const key = `${name}:${job}`;
          const value = pick(stats);
          const delta = value - (seen.get(key) ?? 0);
          if (delta > 0) this.inc({ job }, delta);
          else this.inc({ job }, 0);
          seen.set(key, value);
        }
      },
    });
  jobCounter("gaia_job_runs_total", "Runs of each scheduled job", (s) => s.runs);
  jobCounter("gaia_job_failures_total", "Failed runs of each scheduled job", (s) => s.failures);
  jobCounter("gaia_job_skipped_overlaps_total", "Runs skipped because the previous run of the job was still going", (s) => s.skippedOverlaps);

  return {
    alertsQueued: new Counter({
      name: "gaia_alerts_total",
      help: "Alerts the monitor queued for Telegram (muted and suppressed ones are not queued)",
      labelNames: ["subject_kind", "condition", "change"],
      registers,
    }),
    deliveries: new Counter({
      name: "gaia_alert_deliveries_total",
      help: "Outbox rows by delivery outcome: delivered, dropped (refused for good), muted, failed (will retry), rate-limited",
      labelNames: ["outcome"],
      registers,
    }),
  };
}

function hostGauge(registers: Registry[], name: string, help: string, value: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      const v = value();
      // Before the first probe (a few seconds after start) prom-client reports an unlabelled gauge as 0.
      if (v === undefined) this.reset();
      else this.set(v);
    },
  });
}
