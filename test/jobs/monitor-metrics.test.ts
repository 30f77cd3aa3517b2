import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { LatestSnapshot } from "../../monitor/latest-snapshot.js";
import { registerMonitorMetrics } from "../../jobs/monitor-metrics.js";
import { fakeSnapshot } from "../monitor/fake-snapshot.js";

const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;

function setup() {
  const registry = new Registry();
  const latest = new LatestSnapshot();
  const at = new Date("2025-06-01T12:00:00.000Z");
  const jobs = { runs: 3 };
  const metrics = registerMonitorMetrics(registry, {
    latest,
    outboxPending: async () => 2,
    openIncidents: async () => 1,
    jobStats: () => ({ probe: { runs: jobs.runs, failures: 1, skippedOverlaps: 0, lastDurationMs: 4 } }),
    now: () => new Date(at.getTime() + 5000),
    diskMountpoint: "/srv",
    version: "9.8.7",
  });
  return { registry, latest, at, jobs, metrics };
}

describe("GET /metrics: what Prometheus scrapes", () => {
  it("shows host and service figures from the latest probe, the outbox backlog, open incidents, jobs and alert counters", async () => {
    const { registry, latest, at, jobs, metrics } = setup();
    // Before the first probe there are no services to list, but every counter is there at 0.
    const before = (await registry.metrics()).split("\n");
    expect(before.some((line) => line.startsWith("gaia_service_up"))).toBe(false);
    expect(before).toContain('gaia_alerts_total{subject_kind="service",condition="down",change="opened"} 0');
    expect(before).toContain('gaia_alert_deliveries_total{outcome="dropped"} 0');

    const services = [{ name: "agent", cpuPercent: 150, memoryBytes: 2e8, processCount: 3, pids: [1, 2, 3] }, { name: "db", up: false }];
    const host = { cpuPercent: 42.5, memoryPercent: 61, diskPercent: 77, load: [1.5, 1, 0.5] as [number, number, number], bootTime: new Date("2025-05-01T00:00:00.000Z") };
    latest.update(fakeSnapshot({ at: new Date(at.getTime() - 15_000), host, services }));
    latest.update(fakeSnapshot({ at, host, services }));
    metrics.alertsQueued.inc({ subject_kind: "service", condition: "down", change: "opened" });
    metrics.deliveries.inc({ outcome: "delivered" }, 4);
    const text = await registry.metrics();
    for (const line of [
      "gaia_host_cpu_ratio 0.425",
      "gaia_host_memory_used_ratio 0.61",
      'gaia_host_disk_used_ratio{mountpoint="/srv"} 0.77',
      "gaia_host_load1 1.5",
      "gaia_host_load5 1",
      "gaia_host_load15 0.5",
      `gaia_host_boot_time_seconds ${Date.parse("2025-05-01T00:00:00.000Z") / 1000}`,
      `gaia_last_probe_timestamp_seconds ${at.getTime() / 1000}`,
      'gaia_service_up{service="agent"} 1',
      'gaia_service_up{service="db"} 0',
      // 150% of one core over the 15 s between the two probes.
      'gaia_service_cpu_seconds_total{service="agent"} 22.5',
      'gaia_service_processes{service="agent"} 3',
      'gaia_service_memory_bytes{service="agent"} 200000000',
      "gaia_outbox_pending 2",
      "gaia_incidents_open 1",
      'gaia_job_runs_total{job_name="probe"} 3',
      'gaia_job_failures_total{job_name="probe"} 1',
      'gaia_alerts_total{subject_kind="service",condition="down",change="opened"} 1',
      'gaia_alert_deliveries_total{outcome="delivered"} 4',
      `gaia_build_info{version="9.8.7",nodejs="${process.versions.node}"} 1`,
    ]) {
      expect(text.split("\n")).toContain(line);
    }
    // Node's standard process metrics, and nothing called `job` (Prometheus' own target label).
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).not.toMatch(/[{,]job="/);
    expect(text).not.toMatch(/^gaia_\w*percent/m);
    // Counters only move forward with the scheduler's counts.
    jobs.runs = 5;
    expect((await registry.metrics()).split("\n")).toContain('gaia_job_runs_total{job_name="probe"} 5');
  });

  it.skipIf(!hasPromtool)("passes promtool check metrics without a finding (Prometheus 2.42's promtool)", async () => {
    const { registry, latest, at, metrics } = setup();
    latest.update(fakeSnapshot({ at, services: [{ name: "agent" }] }));
    metrics.deliveries.inc({ outcome: "delivered" });
    const result = spawnSync("promtool", ["check", "metrics"], { input: await registry.metrics(), encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
