import { describe, expect, it } from "vitest";
import { parseSettings } from "../../config/load-settings.js";
import type { Snapshot } from "../../monitor/snapshot.js";
import { bucketAverages, collectStatusReport, type StatusSources } from "../../queries/status-report.js";
import { missedDeadline } from "../../tasks/task-rules.js";

const settings = parseSettings(
  [
    "telegram:",
    "  admins: [1]",
    "services:",
    "  - name: agent",
    "    match: { process: node }",
    "  - name: web",
    "    match: { port: 8080 }",
    "  - name: db",
    "    match: { process: postgres }",
    "tasks:",
    "  - name: backup",
    "    expect: 1d",
    "    grace: 1h",
    "  - name: sync",
    "github:",
    "  identity: pat",
    "",
  ].join("\n"),
  "/srv/gaia",
);

const probedAt = new Date("2026-06-01T12:00:00Z");

function snapshot(): Snapshot {
  return {
    at: probedAt,
    host: {
      cpuPercent: 37, memoryPercent: 45, memoryUsedBytes: 45, memoryTotalBytes: 100, diskPercent: 61, diskUsedBytes: 61,
      diskTotalBytes: 100, load: [0.5, 0.4, 0.3], uptimeSeconds: 7200, bootTime: new Date("2026-06-01T10:00:00Z"),
    },
    services: [
      { name: "agent", up: true, pids: [10, 11], processCount: 2, cpuPercent: 99.5, memoryBytes: 2048, memoryPercent: 2, startedAt: new Date("2026-06-01T11:00:00Z") },
      { name: "web", up: false, pids: [], processCount: 0, cpuPercent: 0, memoryBytes: 0, memoryPercent: 0 },
      { name: "db", up: false, pids: [], processCount: 0, cpuPercent: 0, memoryBytes: 0, memoryPercent: 0 },
    ],
    topProcesses: () => [],
  };
}

function sources(overrides: Partial<StatusSources> = {}): StatusSources {
  return {
    latestSnapshot: async () => snapshot(),
    hostSamples: async () => [
      { at: new Date("2026-06-01T11:02:00Z"), cpu: 10, memory: 40 },
      { at: new Date("2026-06-01T11:03:00Z"), cpu: 30, memory: 40 },
      { at: new Date("2026-06-01T11:59:00Z"), cpu: 90, memory: 50 },
    ],
    openIncidents: async () => [
      { id: 1, subjectKind: "service", subjectName: "web", condition: "down", openedAt: new Date("2026-06-01T11:55:00Z"), acknowledgedAt: null, muted: false, figures: null },
      { id: 2, subjectKind: "host", subjectName: "host", condition: "disk", openedAt: new Date("2026-06-01T11:58:00Z"), acknowledgedAt: new Date(), muted: false, figures: { value: 91 } },
    ],
    pendingApprovals: async () => [{ id: "a1", title: "Deploy", requester: null, createdAt: new Date("2026-06-01T11:59:00Z"), expiresAt: new Date("2026-06-01T12:09:00Z") }],
    activeMutes: async () => [{ subject: "agent", until: new Date("2026-06-01T13:00:00Z"), mutedBy: "telegram:1" }],
    taskRuns: async (task) =>
      task === "backup"
        ? {
            last: { startedAt: new Date("2026-06-01T09:00:00Z"), endedAt: new Date("2026-06-01T09:02:00Z"), status: "failed", exitCode: 3, durationMs: 120_000 },
            lastSuccess: { startedAt: new Date("2026-05-30T09:00:00Z"), endedAt: new Date("2026-05-30T09:00:01Z"), status: "succeeded", exitCode: 0, durationMs: 1000 },
          }
        : {},
    lastHeartbeat: async () => "2026-06-01T11:59:30.000Z",
    nextRotation: () => new Date("2026-07-01T09:00:00Z"),
    hostname: () => "nas",
    ...overrides,
  };
}

describe("the status report behind /status, GET /v1/status and gaia status", () => {
  it("puts each service's state, since when it is down, its mute and its figures together", async () => {
    const report = await collectStatusReport(sources(), settings, new Date("2026-06-01T12:00:05Z"));
    expect(report.measuredAt).toBe("2026-06-01T12:00:00.000Z");
    expect(report.services).toEqual([
      {
        name: "agent", state: "up", downSince: null, mutedUntil: "2026-06-01T13:00:00.000Z", pids: [10, 11], processCount: 2,
        cpuPercent: 99.5, memoryBytes: 2048, memoryPercent: 2, startedAt: "2026-06-01T11:00:00.000Z", uptimeSeconds: 3600,
      },
      expect.objectContaining({ name: "web", state: "down", downSince: "2026-06-01T11:55:00.000Z", cpuPercent: null, uptimeSeconds: null }),
      // Down in the probe, but no incident yet: not confirmed by `sustain` probes.
      expect.objectContaining({ name: "db", state: "down", downSince: null }),
    ]);
    expect(report.incidents.map((i) => [i.id, i.acknowledged])).toEqual([[2, true], [1, false]]);
    expect(report.approvals).toEqual([{ id: "a1", title: "Deploy", requester: null, createdAt: "2026-06-01T11:59:00.000Z", expiresAt: "2026-06-01T12:09:00.000Z" }]);
    expect(report.heartbeat).toEqual({ last: "2026-06-01T11:59:30.000Z", everyMs: 60_000 });
    expect(report.rotation).toEqual({ next: "2026-07-01T09:00:00.000Z" });
    expect(report.hostname).toBe("nas");
    expect(JSON.parse(JSON.stringify(report))).toEqual(report); // plain JSON, as the API sends it
  });

  it("averages the last hour of host samples into twelve 5-minute bars", async () => {
    const report = await collectStatusReport(sources(), settings, probedAt);
    expect(report.host!.lastHour.bucketMinutes).toBe(5);
    expect(report.host!.lastHour.cpu).toEqual([20, null, null, null, null, null, null, null, null, null, null, 90]);
    expect(report.host!.lastHour.memory[0]).toBe(40);
  });

  it("gives each task its last run, its last success and when the next good run is due", async () => {
    const report = await collectStatusReport(sources(), settings, new Date("2026-06-01T12:00:00Z"));
    expect(report.tasks).toEqual([
      {
        name: "backup", expectMs: 86_400_000,
        lastRun: { startedAt: "2026-06-01T09:00:00.000Z", endedAt: "2026-06-01T09:02:00.000Z", status: "failed", exitCode: 3, durationMs: 120_000 },
        lastSuccessAt: "2026-05-30T09:00:00.000Z", nextExpectedAt: "2026-05-31T09:00:01.000Z", overdue: true, mutedUntil: null,
      },
      { name: "sync", expectMs: null, lastRun: null, lastSuccessAt: null, nextExpectedAt: null, overdue: false, mutedUntil: null },
    ]);
  });

  it("says overdue exactly when the missed-run alert falls due: a long run counts from its end, grace included", async () => {
    // A 3-hour backup (expect 1d, grace 1h) that ended 23 hours ago: due in an hour, missed in two.
    const longRun = { startedAt: new Date("2026-05-31T10:00:00Z"), endedAt: new Date("2026-05-31T13:00:00Z"), status: "succeeded", exitCode: 0, durationMs: 3 * 3_600_000 };
    const withLongRun = sources({ taskRuns: async (task) => (task === "backup" ? { last: longRun, lastSuccess: longRun } : {}) });
    const at = async (iso: string) => (await collectStatusReport(withLongRun, settings, new Date(iso))).tasks[0];
    expect(await at("2026-06-01T12:00:00Z")).toMatchObject({ nextExpectedAt: "2026-06-01T13:00:00.000Z", overdue: false });
    expect((await at("2026-06-01T14:00:00Z")).overdue).toBe(false); // the alert's deadline, not yet past
    expect((await at("2026-06-01T14:00:01Z")).overdue).toBe(true);
    const deadline = missedDeadline({ task: settings.tasks[0], firstKnownAt: longRun.endedAt, lastSuccess: longRun });
    expect(deadline?.toISOString()).toBe("2026-06-01T14:00:00.000Z");
  });

  it("for a task that never succeeded, counts from when gaia first knew it, as the missed-run alert does", async () => {
    const neverRan = sources({ taskRuns: async (task) => (task === "backup" ? { firstKnownAt: new Date("2026-05-31T10:00:00Z") } : {}) });
    const at = async (iso: string) => (await collectStatusReport(neverRan, settings, new Date(iso))).tasks[0];
    expect(await at("2026-06-01T11:00:00Z")).toMatchObject({ lastRun: null, lastSuccessAt: null, nextExpectedAt: "2026-06-01T10:00:00.000Z", overdue: false });
    expect((await at("2026-06-01T11:00:01Z")).overdue).toBe(true); // expect 1d + grace 1h after it was first known
  });

  it("is the same report when nothing changed, whatever the clock says", async () => {
    const first = await collectStatusReport(sources(), settings, new Date("2026-06-01T12:00:01Z"));
    const second = await collectStatusReport(sources(), settings, new Date("2026-06-01T12:00:09Z"));
    expect(second).toEqual(first);
  });

  it("before the first probe has no host figures and services in an unknown state; an 'all' mute mutes everything", async () => {
    const report = await collectStatusReport(
      sources({ latestSnapshot: async () => undefined, activeMutes: async () => [{ subject: "all", until: new Date("2026-06-01T14:00:00Z"), mutedBy: "console" }] }),
      { ...settings, github: undefined },
      probedAt,
    );
    expect(report.measuredAt).toBeNull();
    expect(report.host).toBeNull();
    expect(report.services.map((s) => [s.state, s.mutedUntil])).toEqual([
      ["unknown", "2026-06-01T14:00:00.000Z"],
      ["unknown", "2026-06-01T14:00:00.000Z"],
      ["unknown", "2026-06-01T14:00:00.000Z"],
    ]);
    expect(report.rotation).toBeNull();
  });

  it("bucket averages ignore points outside the window and gaps", () => {
    const end = new Date(1_000_000);
    expect(
      bucketAverages(
        [{ at: new Date(0), value: 5 }, { at: new Date(999_000), value: 10 }, { at: new Date(999_500), value: 20 }, { at: new Date(999_900), value: null }, { at: new Date(2_000_000), value: 99 }],
        { end, windowMs: 4000, buckets: 4 },
      ),
    ).toEqual([null, null, null, 15]);
  });
});
