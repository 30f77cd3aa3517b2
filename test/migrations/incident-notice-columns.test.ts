import { createRedactor } from "../../config/redact.js";
import { join } from "node:path";
import Database from "better-sqlite3";
import { DataSource } from "typeorm";
import { afterEach, describe, expect, it } from "vitest";
import { Outbox } from "../../alerts/outbox.js";
import { silentLogger } from "../../cli/logger.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { openDatabase } from "../../entities/data-source.js";
import { Incident, OutboxMessage } from "../../entities/index.js";
import { StateStore } from "../../entities/state-store.js";
import { TaskMonitor } from "../../incidents/task-monitor.js";
import { ALL_MIGRATIONS } from "../../migrations/index.js";
import { IncidentNoticeColumns1764090000000 } from "../../migrations/1764090000000-incident-notice-columns.js";
import { makeTempHome } from "../helpers/temp-home.js";

const OPENED = "2026-03-01 09:00:00.000";
const NOTIFIED = "2026-03-01T09:30:00.000Z";
const HOUR = 3_600_000;

/** A gaia.db at the schema before incident notice columns, with open incidents of every kind. */
async function databaseBeforeTheLedger(file: string): Promise<void> {
  const old = ALL_MIGRATIONS.slice(0, ALL_MIGRATIONS.indexOf(IncidentNoticeColumns1764090000000));
  const dataSource = new DataSource({ type: "better-sqlite3", database: file, migrations: old, migrationsTableName: "migrations" });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: "each" });
  await dataSource.destroy();

  const db = new Database(file);
  const incident = db.prepare(
    `INSERT INTO "incidents" ("id", "key", "subjectKind", "subjectName", "condition", "status", "openedAt", "muted", "figures") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  incident.run(1, "service:agent:down", "service", "agent", "down", "open", OPENED, 0, JSON.stringify({ announced: true }));
  incident.run(2, "service:media:down", "service", "media", "down", "open", OPENED, 1, JSON.stringify({}));
  incident.run(3, "task:backup:failed", "task", "backup", "failed", "open", OPENED, 0, JSON.stringify({ runId: "r1", exitCode: 1, failedRuns: 1 }));
  incident.run(4, "task:backup:missed", "task", "backup", "missed", "resolved", OPENED, 1, JSON.stringify({}));
  db.prepare(`INSERT INTO "task_runs" ("id", "task", "startedAt", "endedAt", "status", "exitCode", "durationMs", "outputTail") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
    "r1", "backup", "2026-03-01 08:59:00.000", OPENED, "failed", 1, 60_000, "disk full",
  );
  const state = db.prepare(`INSERT INTO "state" ("key", "value", "updatedAt") VALUES (?, ?, ?)`);
  state.run(
    "monitor.rules",
    JSON.stringify({
      version: 1,
      conditions: {
        "service:agent:down": { status: "open", above: 3, below: 0, openedAt: "2026-03-01T09:00:00.000Z", lastNotifiedAt: NOTIFIED, acknowledged: false },
      },
    }),
    OPENED,
  );
  state.run("tasks.state", JSON.stringify({ version: 1, firstKnownAt: { backup: "2026-02-01T00:00:00.000Z" }, notices: { "3": { lastNotifiedAt: NOTIFIED, announced: true } } }), OPENED);
  db.close();
}

describe("upgrading gaia.db to one incident ledger", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("moves announced and the last notice onto the incident rows, keeps open incidents open and does not announce them again", async () => {
    const home = makeTempHome("gaia-upgrade-");
    cleanups.push(() => home.cleanup());
    const file = join(home.home, "gaia.db");
    await databaseBeforeTheLedger(file);

    const { dataSource, applied } = await openDatabase(file);
    cleanups.push(() => dataSource.destroy());
    expect(applied).toEqual(ALL_MIGRATIONS.slice(ALL_MIGRATIONS.indexOf(IncidentNoticeColumns1764090000000)).map((m) => new m().name));

    const rows = await dataSource.getRepository(Incident).find({ order: { id: "ASC" } });
    expect(rows.map((r) => ({ id: r.id, status: r.status, announced: r.announced, lastNotifiedAt: r.lastNotifiedAt?.toISOString() ?? null }))).toEqual([
      { id: 1, status: "open", announced: true, lastNotifiedAt: NOTIFIED },
      { id: 2, status: "open", announced: false, lastNotifiedAt: null },
      { id: 3, status: "open", announced: true, lastNotifiedAt: NOTIFIED },
      { id: 4, status: "resolved", announced: false, lastNotifiedAt: "2026-03-01T09:00:00.000Z" },
    ]);
    // `announced` no longer hides in the figures, and the task blob keeps only what is not a column.
    expect(rows[0].figures).toEqual({});
    expect(rows[2].figures).toEqual({ runId: "r1", exitCode: 1, failedRuns: 1 });
    expect(await new StateStore(dataSource).get("tasks.state")).toEqual({ version: 1, firstKnownAt: { backup: "2026-02-01T00:00:00.000Z" } });

    // The task monitor after the upgrade: nothing to say before a reminder falls due...
    let clock = Date.parse(NOTIFIED) + HOUR - 1000;
    const now = () => new Date(clock);
    const tasks = new TaskMonitor({
      dataSource,
      audit: new AuditTrail(dataSource, now),
      outbox: new Outbox(dataSource, 4242, now),
      state: new StateStore(dataSource, now),
      tasks: [{ name: "backup" }],
      remindMs: HOUR,
      spoolDir: join(home.home, ".tmp", "spool"),
      logger: silentLogger(),
      redact: createRedactor(),
      now,
    });
    await tasks.check();
    expect(await dataSource.getRepository(OutboxMessage).count()).toBe(0);
    expect((await dataSource.getRepository(Incident).findOneByOrFail({ id: 3 })).status).toBe("open");

    // ...and the reminder an hour after the last notice, counted from the migrated column.
    clock += 2000;
    await tasks.check();
    const queued = await dataSource.getRepository(OutboxMessage).find();
    expect(queued.map((row) => row.payload)).toMatchObject([{ subject: "backup", condition: "failed", change: "reminder", incidentId: 3 }]);
    expect((await dataSource.getRepository(Incident).findOneByOrFail({ id: 3 })).lastNotifiedAt?.toISOString()).toBe(new Date(clock).toISOString());
  });
});
