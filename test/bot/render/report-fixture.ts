import type { ServiceStatus, StatusReport, TaskStatus } from "../../../queries/status-report.js";

/** A status report as a running monitor assembles it, with overrides for each test. */
export function statusReport(overrides: Partial<StatusReport> = {}): StatusReport {
  const measuredAt = new Date(2026, 5, 1, 12, 3, 15);
  return {
    measuredAt: measuredAt.toISOString(),
    hostname: "nas",
    host: {
      cpuPercent: 37.2,
      memoryPercent: 45.1,
      memoryUsedBytes: 3.6 * 1024 ** 3,
      memoryTotalBytes: 7.8 * 1024 ** 3,
      diskPercent: 61,
      diskUsedBytes: 120 * 1024 ** 3,
      diskTotalBytes: 200 * 1024 ** 3,
      load: [0.52, 0.4, 0.31],
      uptimeSeconds: 3 * 86_400 + 4 * 3600,
      bootTime: new Date(measuredAt.getTime() - (3 * 86_400 + 4 * 3600) * 1000).toISOString(),
      thresholds: { cpu: 90, memory: 90, disk: 90 },
      lastHour: { bucketMinutes: 5, cpu: [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, null], memory: new Array(12).fill(45) },
    },
    services: [service({ name: "agent" })],
    tasks: [],
    incidents: [],
    approvals: [],
    mutes: [],
    heartbeat: { last: new Date(2026, 5, 1, 12, 3, 0).toISOString(), everyMs: 60_000 },
    rotation: null,
    probeEveryMs: 15_000,
    ...overrides,
  };
}

/** A service that is up with one process, unless overridden. */
export function service(overrides: Partial<ServiceStatus> & { name: string }): ServiceStatus {
  return {
    state: "up",
    downSince: null,
    mutedUntil: null,
    pids: [1234],
    processCount: 1,
    cpuPercent: 12.3,
    memoryBytes: 120 * 1024 ** 2,
    memoryPercent: 1.5,
    startedAt: new Date(2026, 4, 29, 8, 0).toISOString(),
    uptimeSeconds: 3 * 86_400 + 4 * 3600,
    ...overrides,
  };
}

/** A task with an optional last run. */
export function task(overrides: Partial<TaskStatus> & { name: string }): TaskStatus {
  return { expectMs: null, lastRun: null, lastSuccessAt: null, nextExpectedAt: null, overdue: false, mutedUntil: null, ...overrides };
}
