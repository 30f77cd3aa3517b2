import type { DataSource } from "typeorm";
import { describe, expect, it } from "vitest";
import { parseSettings } from "../../config/load-settings.js";
import { ApprovalRequest, Incident, Mute, Sample, TaskRun } from "../../entities/index.js";
import { StateStore } from "../../entities/state-store.js";
import { collectStatusReport } from "../../queries/status-report.js";
import { databaseStatusSources } from "../../queries/status-sources.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { tempDatabase } from "../helpers/temp-database.js";

describe("the status report read from gaia.db", () => {
  const defer = deferCleanups();

  async function database(): Promise<DataSource> {
    const db = await tempDatabase();
    defer(() => db.close());
    return db.dataSource;
  }

  it("finds open incidents, live approvals and mutes, task runs, the last hour of host samples and the heartbeat", async () => {
    const db = await database();
    const now = new Date("2026-06-01T12:00:00Z");
    const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
    const incidents = db.getRepository(Incident);
    await incidents.save([
      { key: "service:web:down", subjectKind: "service", subjectName: "web", condition: "down", status: "open", openedAt: minutesAgo(5) },
      { key: "service:web:down", subjectKind: "service", subjectName: "web", condition: "down", status: "resolved", openedAt: minutesAgo(90), resolvedAt: minutesAgo(80) },
    ]);
    await db.getRepository(ApprovalRequest).save([
      { id: "live", title: "Deploy", status: "pending", createdAt: minutesAgo(2), expiresAt: minutesAgo(-8) },
      { id: "late", title: "Old", status: "pending", createdAt: minutesAgo(20), expiresAt: minutesAgo(10) }, // not yet swept
      { id: "done", title: "Done", status: "approved", createdAt: minutesAgo(20), expiresAt: minutesAgo(-8) },
    ]);
    await db.getRepository(Mute).save([
      { subject: "agent", until: minutesAgo(-60), mutedBy: "telegram:1", createdAt: minutesAgo(1) },
      { subject: "web", until: minutesAgo(1), mutedBy: "telegram:1", createdAt: minutesAgo(61) },
    ]);
    await db.getRepository(TaskRun).save([
      { id: "r1", task: "backup", startedAt: minutesAgo(600), endedAt: minutesAgo(598), status: "succeeded", exitCode: 0, durationMs: 120_000 },
      { id: "r2", task: "backup", startedAt: minutesAgo(60), endedAt: minutesAgo(59), status: "failed", exitCode: 3, durationMs: 60_000 },
      { id: "r3", task: "other", startedAt: minutesAgo(1), status: "running" },
    ]);
    await db.getRepository(Sample).save([
      { at: minutesAgo(70), subject: "host", cpu: 99, memory: 99, disk: 50 },
      { at: minutesAgo(30), subject: "host", cpu: 40, memory: 50, disk: 50 },
      { at: minutesAgo(30), subject: "agent", cpu: 100, memory: 1, disk: null },
    ]);
    const state = new StateStore(db);
    await state.set("heartbeat.last", "2026-06-01T11:59:30.000Z");

    const settings = parseSettings(
      "telegram:\n  admins: [1]\nservices:\n  - name: web\n    match: { port: 8080 }\n  - name: agent\n    match: { process: node }\ntasks:\n  - name: backup\n    expect: 1d\n",
      "/srv",
    );
    const snapshot = {
      at: now,
      host: { cpuPercent: 1, memoryPercent: 2, memoryUsedBytes: 2, memoryTotalBytes: 100, diskPercent: 3, diskUsedBytes: 3, diskTotalBytes: 100, load: [0, 0, 0] as [number, number, number], uptimeSeconds: 1, bootTime: now },
      services: [
        { name: "web", up: false, pids: [], processCount: 0, cpuPercent: 0, memoryBytes: 0, memoryPercent: 0 },
        { name: "agent", up: true, pids: [5], processCount: 1, cpuPercent: 3, memoryBytes: 10, memoryPercent: 0.1, startedAt: now },
      ],
      topProcesses: () => [],
    };
    const sources = databaseStatusSources({ dataSource: db, state, latestSnapshot: async () => snapshot, rotationSchedule: "0 9 1 * *" });
    const report = await collectStatusReport(sources, settings, now);

    expect(report.services.map((s) => [s.name, s.state, s.downSince, s.mutedUntil])).toEqual([
      ["web", "down", minutesAgo(5).toISOString(), null],
      ["agent", "up", null, minutesAgo(-60).toISOString()],
    ]);
    expect(report.incidents).toHaveLength(1);
    expect(report.approvals.map((a) => a.id)).toEqual(["live"]);
    expect(report.tasks[0]).toMatchObject({
      lastRun: { status: "failed", exitCode: 3 },
      lastSuccessAt: minutesAgo(600).toISOString(),
      // From the success's end, as the missed-run alert counts.
      nextExpectedAt: new Date(minutesAgo(598).getTime() + 86_400_000).toISOString(),
      overdue: false,
    });
    expect(report.host!.lastHour.cpu.filter((v) => v !== null)).toEqual([40]);
    expect(report.heartbeat.last).toBe("2026-06-01T11:59:30.000Z");
    // Rotation is off without a github section, whatever the schedule.
    expect(report.rotation).toBeNull();
    const withRotation = await collectStatusReport(sources, { ...settings, github: { identity: "pat" } }, now);
    const next = new Date(withRotation.rotation!.next!);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([next.getDate(), next.getHours(), next.getMinutes()]).toEqual([1, 9, 0]);
  });
});
