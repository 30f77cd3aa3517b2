import { randomBytes } from "node:crypto";

/**
 * The PostgreSQL server the database tests also run against: `GAIA_TEST_DATABASE_URL` names a
 * database on it that the tests may connect to and create databases from (.ci/run starts one and
 * sets it). Unset, the PostgreSQL variants are skipped and only SQLite runs.
 */
export const TEST_POSTGRES_URL = process.env.GAIA_TEST_DATABASE_URL || undefined;

/** The back ends a database test runs on: SQLite always, PostgreSQL when a server is given. */
export const DATABASE_BACKENDS: readonly ("sqlite" | "postgres")[] = TEST_POSTGRES_URL ? ["sqlite", "postgres"] : ["sqlite"];

/** A fresh, empty database on the test server; `drop()` removes it (and ends its connections). */
export async function tempPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!TEST_POSTGRES_URL) throw new Error("GAIA_TEST_DATABASE_URL is not set");
  const { default: pg } = await import("pg");
  const name = `gaia_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
