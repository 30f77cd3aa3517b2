/**
 * The monitor's Prometheus metrics (`GET /metrics`): host and service gauges read from the latest
 * snapshot when scraped, service CPU seconds added up at each probe, alert and delivery counters,
 * the outbox backlog, the jobs' run and failure counts, and Node's standard process_* metrics. Everything lives in the registry passed
 * in, never prom-client's global one.
 */
import { readdirSync } from "node:fs";
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
  /** The mount point of the home folder's filesystem: the `mountpoint` label of the disk metrics. */
  diskMountpoint: string;
  /** gaia's version, for gaia_build_info. */
  version: string;
}

/** The counters the monitor increments as things happen. */
export interface MonitorMetrics {
  /** Alerts queued for Telegram, by subject kind, condition and change. */
  alertsQueued: Counter<"subject_kind" | "condition" | "change">;
  /** Outbox rows by what delivery did with them: delivered, dropped, muted, failed, rate-limited. */
  deliveries: Counter<"outcome">;
}

/**
 * The outcomes and changes every counter starts with at 0, so that `rate()` and `increase()` see
 * the first event (a series that appears with its first increment hides that increment).
 */
const DELIVERY_OUTCOMES = ["delivered", "dropped", "muted", "failed", "rate-limited"];
const ALERT_SERIES = [
  ["service", "down", "opened"],
  ["service", "down", "resolved"],
  ["host", "cpu", "opened"],
  ["host", "memory", "opened"],
  ["host", "disk", "opened"],
  ["task", "failed", "opened"],
  ["task", "missed", "opened"],
] as const;

/**
 * Registers the monitor's metrics in `registry`; returns the counters to increment. Named after
 * Prometheus' rules: ratios 0-1 (`_ratio`), CPU as counters of seconds (`rate()` over any
 * window), timestamps rather than ages, no label called `job` (Prometheus' own target label).
 */
export function registerMonitorMetrics(registry: Registry, sources: MonitorMetricsSources): MonitorMetrics {
  const registers = [registry];
  const snapshot = () => sources.latest.current();
  registerProcessMetrics(registers);
  new Gauge({
    name: "gaia_build_info",
    help: "Always 1: the running gaia's version and Node.js version as labels",
    labelNames: ["version", "nodejs"],
    registers,
  }).set({ version: sources.version, nodejs: process.versions.node }, 1);

  hostGauge(registers, "gaia_host_cpu_ratio", "Host CPU busy, share of all cores (0-1), over the last probe interval", () => ratio(snapshot()?.host.cpuPercent));
  hostGauge(registers, "gaia_host_memory_used_ratio", "Host memory used (total - available), share of total (0-1)", () => ratio(snapshot()?.host.memoryPercent));
  hostGauge(registers, "gaia_host_memory_used_bytes", "Host memory used (total - available)", () => snapshot()?.host.memoryUsedBytes);
  hostGauge(registers, "gaia_host_memory_total_bytes", "Host memory in total", () => snapshot()?.host.memoryTotalBytes);
  // Every watched disk (host.disks, or the home folder's) that is mounted; a snapshot without
  // the list (made by hand) stands for the home folder's disk.
  type DiskRow = { mountpoint: string; mounted: boolean; percent: number; usedBytes: number; totalBytes: number };
  const disks = (): DiskRow[] => {
    const host = snapshot()?.host;
    if (!host) return [];
    if (host.disks) return host.disks.map((d) => ({ mountpoint: d.mountPoint, mounted: d.mounted, percent: d.percent, usedBytes: d.usedBytes, totalBytes: d.totalBytes }));
    return [{ mountpoint: sources.diskMountpoint, mounted: true, percent: host.diskPercent, usedBytes: host.diskUsedBytes, totalBytes: host.diskTotalBytes }];
  };
  const perDisk = (name: string, help: string, value: (disk: DiskRow) => number, mountedOnly = true) =>
    new Gauge({
      name,
      help,
      labelNames: ["mountpoint"],
      registers,
      collect() {
        this.reset();
        for (const disk of disks()) if (disk.mounted || !mountedOnly) this.set({ mountpoint: disk.mountpoint }, value(disk));
      },
    });
  perDisk("gaia_host_disk_used_ratio", "Filesystem used, share (0-1) computed like df, by mount point", (d) => d.percent / 100);
  perDisk("gaia_host_disk_used_bytes", "Filesystem used, by mount point", (d) => d.usedBytes);
  perDisk("gaia_host_disk_size_bytes", "Filesystem size, by mount point", (d) => d.totalBytes);
  perDisk("gaia_host_disk_mounted", "1 while a watched mount point (host.disks) is mounted, 0 when it is missing", (d) => (d.mounted ? 1 : 0), false);
  hostGauge(registers, "gaia_host_load1", "Host load average over 1 minute", () => snapshot()?.host.load[0]);
  hostGauge(registers, "gaia_host_load5", "Host load average over 5 minutes", () => snapshot()?.host.load[1]);
  hostGauge(registers, "gaia_host_load15", "Host load average over 15 minutes", () => snapshot()?.host.load[2]);
  hostGauge(registers, "gaia_host_boot_time_seconds", "When the host booted, Unix time", () => seconds(snapshot()?.host.bootTime));
  hostGauge(registers, "gaia_last_probe_timestamp_seconds", "When the latest probe snapshot was taken, Unix time", () => seconds(snapshot()?.at));

  // One series per service; a value of undefined leaves the service out (endpoint figures exist only
  // for http and tcp services whose latest check answered; a service whose check has not answered
  // yet since start has no series at all).
  const perService = (name: string, help: string, value: (s: NonNullable<ReturnType<typeof snapshot>>["services"][number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ["service"],
      registers,
      collect() {
        this.reset();
        for (const service of snapshot()?.services ?? []) {
          const v = value(service);
          if (v !== undefined) this.set({ service: service.name }, v);
        }
      },
    });
  perService("gaia_service_up", "1 when at least one process of the service was found (endpoints: it answers; containers: it runs; units: systemd has it up)", (s) => (s.unchecked ? undefined : s.up ? 1 : 0));
  perService("gaia_service_processes", "Processes matched for the service", (s) => s.processCount);
  perService("gaia_service_memory_bytes", "Service resident memory summed over its processes", (s) => s.memoryBytes);
  perService("gaia_service_response_seconds", "Time an http or tcp endpoint took to answer in its latest check", (s) =>
    s.endpoint?.responseMs !== undefined ? s.endpoint.responseMs / 1000 : undefined,
  );
  perService("gaia_service_certificate_expiry_timestamp_seconds", "When an https endpoint's TLS certificate expires, Unix time", (s) =>
    s.endpoint?.certExpiresAt ? s.endpoint.certExpiresAt.getTime() / 1000 : undefined,
  );
  // CPU seconds of each service, added up probe interval by probe interval (each snapshot gives the
  // share of one core its processes used since the previous one), so no interval is lost between scrapes.
  const serviceCpu = new Counter({
    name: "gaia_service_cpu_seconds_total",
    help: "CPU time used by the service's processes (user + system), summed over its processes",
    labelNames: ["service"],
    registers,
  });
  let previousAt: number | undefined;
  sources.latest.onUpdate((next) => {
    const at = next.at.getTime();
    const interval = previousAt === undefined ? 0 : Math.max(0, (at - previousAt) / 1000);
    previousAt = at;
    for (const service of next.services) serviceCpu.inc({ service: service.name }, (service.cpuPercent / 100) * interval);
  });

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

  // Job counters come from the scheduler's own counts; a counter only moves forward by the difference.
  const seen = new Map<string, number>();
  const jobCounter = (name: string, help: string, pick: (stats: JobStats) => number) =>
    new Counter({
      name,
      help,
      labelNames: ["job_name"],
      registers,
      collect() {
        for (const [job, stats] of Object.entries(sources.jobStats())) {
          const key = `${name}:${job}`;
          const value = pick(stats);
          const delta = value - (seen.get(key) ?? 0);
          this.inc({ job_name: job }, Math.max(0, delta));
          seen.set(key, value);
        }
      },
    });
  jobCounter("gaia_job_runs_total", "Runs of each scheduled job", (s) => s.runs);
  jobCounter("gaia_job_failures_total", "Failed runs of each scheduled job", (s) => s.failures);
  jobCounter("gaia_job_skipped_overlaps_total", "Runs skipped because the previous run of the job was still going", (s) => s.skippedOverlaps);

  const alertsQueued = new Counter({
    name: "gaia_alerts_total",
    help: "Alerts the monitor queued for Telegram (muted and suppressed ones are not queued)",
    labelNames: ["subject_kind", "condition", "change"],
    registers,
  });
  for (const [subject_kind, condition, change] of ALERT_SERIES) alertsQueued.inc({ subject_kind, condition, change }, 0);
  const deliveries = new Counter({
    name: "gaia_alert_deliveries_total",
    help: "Outbox rows by delivery outcome: delivered, dropped (refused for good), muted, failed (will retry), rate-limited",
    labelNames: ["outcome"],
    registers,
  });
  for (const outcome of DELIVERY_OUTCOMES) deliveries.inc({ outcome }, 0);
  return { alertsQueued, deliveries };
}

/** A percentage (0-100) as a ratio (0-1). */
function ratio(percent: number | undefined): number | undefined {
  return percent === undefined ? undefined : percent / 100;
}

/** A moment as Unix seconds. */
function seconds(at: Date | undefined): number | undefined {
  return at === undefined ? undefined : at.getTime() / 1000;
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

/**
 * The standard process_* metrics of Prometheus' client libraries, for gaia's own process. Not
 * prom-client's collectDefaultMetrics: it adds nodejs_* series promtool rejects (gauges named
 * `_total`), an event-loop monitor and a GC observer that a small watchdog does not need.
 */
function registerProcessMetrics(registers: Registry[]): void {
  const startTime = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  new Counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new Gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", registers, collect() {
    this.set(process.memoryUsage.rss());
  } });
  new Gauge({ name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", registers }).set(startTime);
  new Gauge({ name: "process_open_fds", help: "Number of open file descriptors.", registers, collect() {
    try {
      this.set(readdirSync("/proc/self/fd").length);
    } catch {
      this.reset(); // not Linux: no series
    }
  } });
}
