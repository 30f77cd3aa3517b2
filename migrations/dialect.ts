import type { QueryRunner } from "typeorm";

/**
 * Whether a migration runs on PostgreSQL (`DATABASE_URL`) rather than SQLite (gaia.db). The two
 * differ in a few words of DDL (`datetime` is `timestamp`, `AUTOINCREMENT` is `SERIAL`, booleans
 * default to `false`, not `0`), so a migration writes each statement for both; the entities'
 * column types (`Date`, `boolean`, `bigint`, `simple-json`) map to the same columns on both, and
 * test/entities/data-source.test.ts checks that migrations and entities agree on each back end.
 */
export function isPostgres(db: QueryRunner): boolean {
  return db.connection.driver.options.type === "postgres";
}
