import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { LatestSnapshot } from "../../monitor/latest-snapshot.js";
import { registerMonitorMetrics } from "../../jobs/monitor-metrics.js";
import { fakeSnapshot } from "../monitor/fake-snapshot.js";

describe("GET /metrics: what Prometheus scrapes", () => {
  it("shows host and service figures from the latest probe, the outbox backlog, open incidents, jobs and alert counters", async () => {
    const registry = new Registry();
    const latest = new LatestSnapshot();
    const at = new Date("2025-06-01T12:00:00.000Z");
    let runs = 3;
    const metrics = registerMonitorMetrics(registry, {
      latest,
      outboxPending: async () => 2,
      openIncidents: async () => 1,
      jobStats: () => ({ probe: { runs, failures: 1, skippedOverlaps: 0, lastDurationMs: 4 } }),
      now: () => new Date(at.getTime() + 5000),
    });
    // Before the first probe there are no services to list.
    expect(await registry.metrics()).not.toMatch(/^gaia_service_up/m);

    latest.update(
      fakeSnapshot({
        at,
        host: { cpuPercent: 42.5, memoryPercent: 61, diskPercent: 77, load: [1.5, 1, 0.5] },
        services: [{ name: "agent", cpuPercent: 150, memoryBytes: 2e8, processCount: 3, pids: [1, 2, 3] }, { name: "db", up: false }],
      }),
    );
    metrics.alertsQueued.inc({ subject_kind: "service", condition: "down", change: "opened" });
    metrics.deliveries.inc({ outcome: "delivered" }, 4);
    const text = await registry.metrics();
    for (const line of [
      "gaia_host_cpu_percent 42.5",
      "gaia_host_memory_percent 61",
      "gaia_host_disk_percent 77",
      'gaia_host_load{period="1m"} 1.5',
      "gaia_snapshot_age_seconds 5",
      'gaia_service_up{service="agent"} 1',
      'gaia_service_up{service="db"} 0',
      'gaia_service_cpu_percent{service="agent"} 150',
      'gaia_service_processes{service="agent"} 3',
      'gaia_service_memory_bytes{service="agent"} 200000000',
      "gaia_outbox_pending 2",
      "gaia_incidents_open 1",
      'gaia_job_runs_total{job="probe"} 3',
      'gaia_job_failures_total{job="probe"} 1',
      'gaia_alerts_total{subject_kind="service",condition="down",change="opened"} 1',
      'gaia_alert_deliveries_total{outcome="delivered"} 4',
    ]) {
      expect(text.split("\n")).toContain(line);
    }
    // Counters only move forward with the scheduler's counts.
    runs = 5;
    expect((await registry.metrics()).split("\n")).toContain('gaia_job_runs_total{job="probe"} 5');
  });
});
