import { createRedactor } from "../../config/redact.js";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AlertPayload } from "../../alerts/alert.js";
import { Outbox } from "../../alerts/outbox.js";
import { runRoutes } from "../../api/run-routes.js";
import { startApiServer, type ApiServer } from "../../api/server.js";
import { Secret } from "../../config/secret.js";
import type { TaskConfig } from "../../config/types.js";
import { silentLogger } from "../../cli/logger.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { openDatabase } from "../../entities/data-source.js";
import { AuditEvent, Incident, Mute, OutboxMessage, TaskRun } from "../../entities/index.js";
import { StateStore } from "../../entities/state-store.js";
import { spoolRunReport } from "../../tasks/run-spool.js";
import { readSpool } from "../../tasks/spooled-runs.js";
import { TaskMonitor } from "../../incidents/task-monitor.js";
import type { ProcessFate, ProcessIdentity } from "../../monitor/process-identity.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "0123456789abcdef0123456789abcdef";
const SECRET = "hunter2-the-backup-passphrase";
const T0 = Date.parse("2026-03-01T09:00:00.000Z");
const TASKS: TaskConfig[] = [
  { name: "backup", timeoutMs: 60_000 },
  { name: "heartbeat", expectMs: 10_000, graceMs: 1_000 },
];

describe("the monitor's side of scheduled jobs", () => {
  let home: ReturnType<typeof makeTempHome>;
  let dataSource: DataSource;
  let clock: number;
  let api: ApiServer;
  let base: string;
  let kicks: number;
  const now = () => new Date(clock);

  function monitor(tasks: TaskConfig[] = TASKS, remindMs = 3_600_000, launcherFate?: (launcher: ProcessIdentity) => ProcessFate): TaskMonitor {
    return new TaskMonitor({
      dataSource,
      audit: new AuditTrail(dataSource, now),
      outbox: new Outbox(dataSource, 4242, now, () => kicks++),
      state: new StateStore(dataSource, now),
      tasks,
      remindMs,
      spoolDir: join(home.home, ".tmp", "spool"),
      logger: silentLogger(),
      redact: createRedactor([SECRET]),
      ...(launcherFate ? { launcherFate } : {}),
      now,
    });
  }

  async function serve(tasks: TaskMonitor): Promise<void> {
    await api?.close();
    api = await startApiServer({ host: "127.0.0.1", port: 0, token: new Secret(TOKEN), logger: silentLogger(), routes: [runRoutes(tasks)] });
    base = `http://127.0.0.1:${api.port}`;
  }

  async function post(body: unknown, token = TOKEN): Promise<{ status: number; body: any }> {
    const res = await fetch(`${base}/v1/runs`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  }

  async function alerts(): Promise<AlertPayload[]> {
    const rows = await dataSource.getRepository(OutboxMessage).find({ order: { id: "ASC" } });
    return rows.map((row) => row.payload as unknown as AlertPayload);
  }

  beforeEach(async () => {
    home = makeTempHome();
    clock = T0;
    kicks = 0;
    ({ dataSource } = await openDatabase(join(home.home, "gaia.db")));
  });

  afterEach(async () => {
    await api?.close();
    await dataSource.destroy();
    home.cleanup();
  });

  it("records a start (201 with a run id) and its end (200), one row per run", async () => {
    await serve(monitor());
    const start = await post({ task: "backup", event: "start" });
    expect(start.status).toBe(201);
    expect(start.body.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await dataSource.getRepository(TaskRun).findOneBy({ id: start.body.runId })).toMatchObject({ task: "backup", status: "running", endedAt: null, startedAt: new Date(T0) });

    clock += 1500;
    const end = await post({ task: "backup", event: "end", runId: start.body.runId, exitCode: 0, durationMs: 1500, outputTail: "ok" });
    expect(end).toEqual({ status: 200, body: { runId: start.body.runId, status: "succeeded" } });
    expect(await dataSource.getRepository(TaskRun).find()).toEqual([
      { id: start.body.runId, task: "backup", startedAt: new Date(T0), endedAt: new Date(T0 + 1500), status: "succeeded", exitCode: 0, durationMs: 1500, outputTail: "ok", launcherPid: null, launcherStart: null, host: "" },
    ]);
    expect(await alerts()).toEqual([]);
  });

  it("answers 404 for an unknown task, 422 naming each bad field, 401 without the token", async () => {
    await serve(monitor());
    expect(await post({ task: "bakup", event: "start" })).toEqual({ status: 404, body: { error: 'no task named "bakup" in gaia.yml (tasks: backup, heartbeat); add it under tasks: and restart gaia' } });
    const bad = await post({ task: "backup", event: "end", exitCode: 3.5, durationMs: -1, outputTail: "x".repeat(4001) });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toBe("exitCode: expected an integer from 0 to 255; durationMs: expected a whole number of milliseconds; outputTail: at most 4000 characters");
    expect((await post({ task: "backup", event: "end" })).body).toEqual({ error: "exitCode: required when event is end" });
    expect((await post({ task: "backup", event: "stop" })).body).toEqual({ error: 'event: expected "start" or "end"' });
    expect((await post({ task: "backup", event: "start" }, "wrong-token-wrong-token")).status).toBe(401);
    expect(await dataSource.getRepository(TaskRun).count()).toBe(0);
  });

  it("opens one incident for a failing task, however often it fails, and resolves it with the next good run", async () => {
    await serve(monitor());
    expect((await post({ task: "backup", event: "end", runId: "run-a-00000001", exitCode: 3, durationMs: 2000, outputTail: `rsync: disk full\npassphrase was ${SECRET}` })).status).toBe(200);
    // The same report again (a retry, or the spool after a timeout) changes nothing.
    expect((await post({ task: "backup", event: "end", runId: "run-a-00000001", exitCode: 3 })).body).toEqual({ runId: "run-a-00000001", status: "failed" });
    clock += 60_000;
    await post({ task: "backup", event: "end", runId: "run-b-00000002", exitCode: 4, durationMs: 1000, outputTail: "still full" });

    const [opened, ...others] = await alerts();
    expect(others).toEqual([]);
    expect(opened).toMatchObject({
      subjectKind: "task",
      subject: "backup",
      condition: "failed",
      change: "opened",
      at: new Date(T0).toISOString(),
      details: ["exit code 3 after 2s"],
      pre: "rsync: disk full\npassphrase was [REDACTED]",
      actions: ["ack", "mute"],
    });
    const [incident] = await dataSource.getRepository(Incident).find();
    expect(incident).toMatchObject({ key: "task:backup:failed", subjectKind: "task", subjectName: "backup", condition: "failed", status: "open", openedAt: new Date(T0), muted: false });
    expect(incident.figures).toMatchObject({ runId: "run-b-00000002", exitCode: 4, failedRuns: 2 });
    expect(opened.incidentId).toBe(incident.id);

    clock += 3 * 60_000;
    await post({ task: "backup", event: "end", runId: "run-c-00000003", exitCode: 0, durationMs: 3000 });
    const resolved = (await alerts())[1];
    expect(resolved).toMatchObject({ subject: "backup", condition: "failed", change: "resolved", incidentId: incident.id, durationMs: 4 * 60_000, details: ["had been failing for 4m, 2 failed runs in a row", "this run took 3s"] });
    expect(resolved).not.toHaveProperty("actions");
    expect(await dataSource.getRepository(Incident).findOneBy({ id: incident.id })).toMatchObject({ status: "resolved", resolvedAt: new Date(T0 + 4 * 60_000) });
    const kinds = (await dataSource.getRepository(AuditEvent).find({ order: { id: "ASC" } })).map((e) => e.kind);
    expect(kinds).toEqual(["task.failed", "task.failed.resolved"]);
    expect(kicks).toBe(2);

    // The secret is nowhere in gaia.db, whatever table.
    const rows = JSON.stringify([await dataSource.getRepository(TaskRun).find(), await dataSource.getRepository(OutboxMessage).find(), await dataSource.getRepository(AuditEvent).find()]);
    expect(rows).toContain("disk full");
    expect(rows).not.toContain(SECRET);
  });

  it("closes a run whose gaia run was killed as lost: an alert for a task with expect, silently for others", async () => {
    const gone = new Set<number>();
    const tasks = monitor(TASKS, 0, (launcher) => (gone.has(launcher.pid) ? "gone" : "running"));
    await serve(tasks);
    const launcher = (pid: number) => ({ pid, startTicks: 4242, bootId: "0b6f2a7e-1111-2222-3333-444455556666" });
    expect((await post({ task: "backup", event: "start", runId: "run-backup-1", launcher: launcher(101) })).status).toBe(201);
    expect((await post({ task: "heartbeat", event: "start", runId: "run-heart-1", launcher: launcher(102) })).status).toBe(201);
    expect(await dataSource.getRepository(TaskRun).findOneBy({ id: "run-backup-1" })).toMatchObject({ launcherPid: 101, launcherStart: "4242 0b6f2a7e-1111-2222-3333-444455556666" });

    clock += 3_000;
    await tasks.check(); // both launchers still run
    expect((await dataSource.getRepository(TaskRun).find()).map((r) => r.status)).toEqual(["running", "running"]);

    gone.add(101).add(102); // kill -9 of both gaia run processes
    clock += 2_000;
    await tasks.check();
    const rows = await dataSource.getRepository(TaskRun).find({ order: { id: "ASC" } });
    expect(rows.map((r) => [r.id, r.status, r.endedAt?.getTime(), r.durationMs])).toEqual([
      ["run-backup-1", "lost", T0 + 5_000, 5_000],
      ["run-heart-1", "lost", T0 + 5_000, 5_000],
    ]);
    // Only the task with expect is alerted; the other's run is merely closed.
    expect(await alerts()).toMatchObject([
      { subject: "heartbeat", condition: "failed", change: "opened", details: ["lost after 5s: gaia run was killed (or the host went down) before it could report the end; the outcome is unknown"] },
    ]);
    // The real end, arriving late (spooled as its launcher exited), wins over "lost".
    expect((await post({ task: "heartbeat", event: "end", runId: "run-heart-1", exitCode: 0, durationMs: 4_000 })).body).toEqual({ runId: "run-heart-1", status: "succeeded" });
    expect((await alerts()).map((a) => `${a.subject} ${a.change}`)).toEqual(["heartbeat opened", "heartbeat resolved"]);
    // ...once: a second end report is a duplicate again.
    expect((await post({ task: "heartbeat", event: "end", runId: "run-heart-1", exitCode: 1 })).body).toEqual({ runId: "run-heart-1", status: "succeeded" });
  });

  it("reports a run stopped by its timeout as timed-out", async () => {
    await serve(monitor());
    expect((await post({ task: "backup", event: "end", exitCode: 143, durationMs: 60_000, timedOut: true })).body.status).toBe("timed-out");
    expect(await alerts()).toMatchObject([{ condition: "timeout", change: "opened", details: ["stopped by its timeout of 1m (exit code 143, killed by SIGTERM)"] }]);
  });

  it("reports a task with expect that does not run as missed, once, with reminders, until a good run", async () => {
    const tasks = monitor(TASKS, 60_000);
    await serve(tasks);
    await tasks.load(); // the missed-run clock starts when the monitor first knows the task
    clock += 11_000;
    await tasks.check();
    expect(await alerts()).toEqual([]);
    clock += 1;
    await tasks.check();
    await tasks.check();
    expect(await alerts()).toMatchObject([{ subject: "heartbeat", condition: "missed", change: "opened", openedAt: new Date(T0 + 11_000).toISOString(), details: ["no successful run in the 11s since gaia started watching it", "expected every 10s, with 1s of grace"] }]);

    clock += 60_000;
    await tasks.check();
    expect((await alerts())[1]).toMatchObject({ condition: "missed", change: "reminder", details: ["no successful run since gaia started watching it, 1m ago", "expected every 10s, with 1s of grace"] });

    // An admin acknowledges it: no more reminders.
    await dataSource.getRepository(Incident).update({ key: "task:heartbeat:missed" }, { acknowledgedAt: now(), acknowledgedBy: "telegram:4242" });
    clock += 120_000;
    await tasks.check();
    expect(await alerts()).toHaveLength(2);

    await post({ task: "heartbeat", event: "end", exitCode: 0, durationMs: 10 });
    expect((await alerts())[2]).toMatchObject({ condition: "missed", change: "resolved", durationMs: 180_001, details: ["3m after it was due; this run took 0s"] });
    clock += 5_000;
    await tasks.check();
    expect(await alerts()).toHaveLength(3);
  });

  it("keeps counting toward a missed run across a restart of the monitor", async () => {
    const first = monitor();
    await first.load();
    clock += 8_000;
    await first.check();
    // Restart: a new monitor on the same gaia.db, 4 s later.
    clock += 4_000;
    const second = monitor();
    await second.check();
    expect(await alerts()).toMatchObject([{ subject: "heartbeat", condition: "missed", openedAt: new Date(T0 + 11_000).toISOString() }]);
    // And an open incident is not announced again by the next monitor.
    const third = monitor();
    clock += 1_000;
    await third.check();
    expect(await alerts()).toHaveLength(1);
  });

  it("records a muted task's failure without sending it", async () => {
    await dataSource.getRepository(Mute).save({ subject: "backup", until: new Date(T0 + 3_600_000), mutedBy: "telegram:4242", createdAt: now() });
    await serve(monitor());
    await post({ task: "backup", event: "end", exitCode: 1 });
    expect(await alerts()).toEqual([]);
    expect(await dataSource.getRepository(Incident).find()).toMatchObject([{ condition: "failed", status: "open", muted: true }]);
    expect((await dataSource.getRepository(AuditEvent).find())[0]).toMatchObject({ kind: "task.failed", details: { sent: false } });
    // The good run after it closes it as silently as it opened.
    await post({ task: "backup", event: "end", exitCode: 0 });
    expect(await alerts()).toEqual([]);
  });

  it("takes the spooled reports oldest first, exactly once, and sets aside what it cannot read", async () => {
    const spool = join(home.home, ".tmp", "spool");
    spoolRunReport(spool, { task: "backup", event: "end", runId: "spooled-ok-0002", exitCode: 0, durationMs: 5, startedAt: new Date(T0 - 60_000).toISOString(), endedAt: new Date(T0 - 59_000).toISOString() });
    spoolRunReport(spool, { task: "backup", event: "end", runId: "spooled-bad-001", exitCode: 2, durationMs: 5, startedAt: new Date(T0 - 120_000).toISOString(), endedAt: new Date(T0 - 119_000).toISOString(), outputTail: "failed first" });
    spoolRunReport(spool, { task: "retired", event: "end", runId: "spooled-old-003", exitCode: 0 });
    writeFileSync(join(spool, "garbage.json"), "{ not json");

    const tasks = monitor();
    await serve(tasks);
    // One of them also reached the API (the launcher timed out, then spooled it anyway).
    await post({ task: "backup", event: "end", runId: "spooled-ok-0002", exitCode: 0, durationMs: 5, startedAt: new Date(T0 - 60_000).toISOString(), endedAt: new Date(T0 - 59_000).toISOString() });
    expect(await tasks.ingestSpool()).toBe(1);
    expect(await tasks.ingestSpool()).toBe(0);

    const runs = await dataSource.getRepository(TaskRun).find({ order: { endedAt: "ASC" } });
    expect(runs.map((r) => [r.id, r.status, r.startedAt.toISOString()])).toEqual([
      ["spooled-bad-001", "failed", new Date(T0 - 120_000).toISOString()],
      ["spooled-ok-0002", "succeeded", new Date(T0 - 60_000).toISOString()],
    ]);
    // Failure then recovery, in the order they happened (the good run came through the API first,
    // so the late failure is history, not news).
    expect(await alerts()).toEqual([]);
    const left = readSpool(spool).map((e) => e.file.split("/").pop());
    expect(left).toEqual(["spooled-old-003.json"]); // kept until a monitor knows "retired"
    expect(readdirSync(spool).sort()).toEqual(["garbage.json.bad", "spooled-old-003.json"]);
  });

  it("announces a failure and recovery that both happened while the monitor was away, in order", async () => {
    const spool = join(home.home, ".tmp", "spool");
    spoolRunReport(spool, { task: "backup", event: "end", runId: "away-fail-00001", exitCode: 5, durationMs: 5, endedAt: new Date(T0 - 120_000).toISOString(), outputTail: "boom" });
    spoolRunReport(spool, { task: "backup", event: "end", runId: "away-good-00002", exitCode: 0, durationMs: 5, endedAt: new Date(T0 - 60_000).toISOString() });
    const tasks = monitor();
    expect(await tasks.ingestSpool()).toBe(2);
    expect(await alerts()).toMatchObject([
      { condition: "failed", change: "opened", at: new Date(T0 - 120_000).toISOString(), pre: "boom" },
      { condition: "failed", change: "resolved", durationMs: 60_000 },
    ]);
  });

  it("closes the incidents of a task taken out of gaia.yml without a word", async () => {
    const before = monitor();
    await serve(before);
    await post({ task: "backup", event: "end", exitCode: 1 });
    const after = monitor([{ name: "heartbeat" }]);
    await after.check();
    expect(await dataSource.getRepository(Incident).find()).toMatchObject([{ subjectName: "backup", status: "resolved" }]);
    expect(await alerts()).toHaveLength(1);
  });
  it("forgets runs older than the retention, except each task's newest finished and newest good run", async () => {
    const tasks = monitor();
    const day = 86_400_000;
    const end = (runId: string, task: string, exitCode: number, daysAgo: number) =>
      tasks.recordEnd({ task, event: "end", runId, exitCode, durationMs: 1, endedAt: new Date(T0 - daysAgo * day).toISOString() });
    await end("backup-good-100", "backup", 0, 100);
    await end("backup-good-095", "backup", 0, 95);
    await end("backup-fail-092", "backup", 1, 92);
    await end("backup-good-010", "backup", 0, 10);
    await end("beat-good-00120", "heartbeat", 0, 120);
    await end("beat-fail-00100", "heartbeat", 2, 100);
    await tasks.recordStart({ task: "backup", event: "start", runId: "backup-running-1", startedAt: new Date(T0 - 200 * day).toISOString() });
    expect(await tasks.prune(new Date(T0 - 90 * day))).toBe(3);
    const left = (await dataSource.getRepository(TaskRun).find()).map((r) => r.id).sort();
    expect(left).toEqual(["backup-good-010", "backup-running-1", "beat-fail-00100", "beat-good-00120"]);
  });
});
