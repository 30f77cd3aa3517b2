import type { MigrationInterface, QueryRunner } from "typeorm";
import { isPostgres } from "./dialect.js";

/** Tables whose rows gain the host that wrote them. */
const TABLES = ["events", "incidents", "outbox", "approvals", "task_runs", "samples", "rotations"] as const;
/** Tables keyed by a name that every host uses (`heartbeat.last`, a muted `agent`): the host joins the key. */
const KEYED = [
  ["state", "key"],
  ["mutes", "subject"],
] as const;

/**
 * A `host` column on every table, so that several hosts can share one PostgreSQL database (one
 * audit trail), each seeing its own incidents, mutes, outbox and state (entities/host-scope.ts).
 * In gaia.db it stays empty: existing rows are the one host's.
 */
export class HostColumn1764131000000 implements MigrationInterface {
  name = "HostColumn1764131000000";

  async up(db: QueryRunner): Promise<void> {
    const empty = isPostgres(db) ? "''" : "('')";
    for (const table of [...TABLES, ...KEYED.map(([t]) => t)]) {
      await db.query(`ALTER TABLE "${table}" ADD COLUMN "host" varchar(64) NOT NULL DEFAULT ${empty}`);
    }
    for (const [table, key] of KEYED) await setPrimaryKey(db, table, ["host", key]);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const [table, key] of KEYED) await setPrimaryKey(db, table, [key]);
    for (const table of [...TABLES, ...KEYED.map(([t]) => t)]) await db.query(`ALTER TABLE "${table}" DROP COLUMN "host"`);
  }
}

/** PostgreSQL changes a primary key in place; SQLite rebuilds the table (TypeORM copies every row and column). */
async function setPrimaryKey(db: QueryRunner, tableName: string, columns: string[]): Promise<void> {
  if (isPostgres(db)) {
    await db.query(`ALTER TABLE "${tableName}" DROP CONSTRAINT "${tableName}_pkey"`);
    await db.query(`ALTER TABLE "${tableName}" ADD CONSTRAINT "${tableName}_pkey" PRIMARY KEY (${columns.map((c) => `"${c}"`).join(", ")})`);
    return;
  }
  const table = await db.getTable(tableName);
  if (!table) throw new Error(`table ${tableName} is missing`);
  const changes = table.columns
    .filter((column) => column.isPrimary !== columns.includes(column.name))
    .map((oldColumn) => {
      const newColumn = oldColumn.clone();
      newColumn.isPrimary = columns.includes(oldColumn.name);
      return { oldColumn, newColumn };
    });
  await db.changeColumns(table, changes);
}
