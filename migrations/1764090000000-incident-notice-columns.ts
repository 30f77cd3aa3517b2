import type { MigrationInterface, QueryRunner } from "typeorm";
import { isPostgres } from "./dialect.js";

/**
 * `incidents.announced` and `incidents.lastNotifiedAt`: what the chat was told about an incident
 * becomes part of its row, for services, the host and tasks alike (one ledger). Before, services
 * kept `announced` inside `figures` and tasks kept both in the `tasks.state` blob; both are moved
 * here, so an upgrade keeps open incidents open and does not announce them again.
 */
export class IncidentNoticeColumns1764090000000 implements MigrationInterface {
  name = "IncidentNoticeColumns1764090000000";

  async up(db: QueryRunner): Promise<void> {
    if (isPostgres(db)) {
      // PostgreSQL support came later than this migration: such a database has no rows to move yet.
      await db.query(`ALTER TABLE "incidents" ADD COLUMN "announced" boolean NOT NULL DEFAULT false`);
      await db.query(`ALTER TABLE "incidents" ADD COLUMN "lastNotifiedAt" timestamp`);
      return;
    }
    await db.query(`ALTER TABLE "incidents" ADD COLUMN "announced" boolean NOT NULL DEFAULT (0)`);
    await db.query(`ALTER TABLE "incidents" ADD COLUMN "lastNotifiedAt" datetime`);

    // Services and the host: `figures.announced` was set whenever an alert about it was queued.
    await db.query(
      `UPDATE "incidents" SET "announced" = 1 WHERE "subjectKind" IN ('service', 'host') AND json_valid("figures") AND json_extract("figures", '$.announced') = 1`,
    );
    await db.query(`UPDATE "incidents" SET "figures" = json_remove("figures", '$.announced') WHERE json_valid("figures") AND json_type("figures", '$.announced') IS NOT NULL`);
    // Their last notice was in the rules' state (`monitor.rules`), by condition key.
    const rules = stateValue(await db.query(`SELECT "value" FROM "state" WHERE "key" = 'monitor.rules'`));
    const conditions = (rules?.conditions ?? {}) as Record<string, { status?: string; lastNotifiedAt?: unknown }>;
    for (const [key, condition] of Object.entries(conditions)) {
      if (condition?.status !== "open" || typeof condition.lastNotifiedAt !== "string") continue;
      await db.query(`UPDATE "incidents" SET "lastNotifiedAt" = ? WHERE "key" = ? AND "status" = 'open'`, [sqliteDate(condition.lastNotifiedAt), key]);
    }

    // Tasks: the `tasks.state` blob's `notices`, by incident id. An open incident it does not know
    // counts as announced when it opened unless it opened muted (what the task monitor assumed).
    const tasks = stateValue(await db.query(`SELECT "value" FROM "state" WHERE "key" = 'tasks.state'`));
    const notices = (tasks?.notices ?? {}) as Record<string, { lastNotifiedAt?: unknown; announced?: unknown }>;
    await db.query(`UPDATE "incidents" SET "announced" = NOT "muted", "lastNotifiedAt" = "openedAt" WHERE "subjectKind" = 'task'`);
    for (const [id, notice] of Object.entries(notices)) {
      if (typeof notice?.lastNotifiedAt !== "string" || typeof notice.announced !== "boolean") continue;
      await db.query(`UPDATE "incidents" SET "announced" = ?, "lastNotifiedAt" = ? WHERE "id" = ? AND "subjectKind" = 'task'`, [
        notice.announced ? 1 : 0,
        sqliteDate(notice.lastNotifiedAt),
        Number(id),
      ]);
    }
    if (tasks && "notices" in tasks) {
      const { notices: _moved, ...rest } = tasks;
      await db.query(`UPDATE "state" SET "value" = ? WHERE "key" = 'tasks.state'`, [JSON.stringify(rest)]);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "incidents" DROP COLUMN "lastNotifiedAt"`);
    await db.query(`ALTER TABLE "incidents" DROP COLUMN "announced"`);
  }
}

function stateValue(rows: { value: string }[]): Record<string, unknown> | undefined {
  if (rows.length === 0) return undefined;
  try {
    const value = JSON.parse(rows[0].value) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** TypeORM's SQLite datetime text (`YYYY-MM-DD HH:MM:SS.SSS`, UTC) of an ISO time. */
function sqliteDate(iso: string): string {
  return new Date(iso).toISOString().replace("T", " ").replace("Z", "");
}
