import { join } from "node:path";
import type { DataSource } from "typeorm";
import { Secret } from "../../config/secret.js";
import { openDatabase } from "../../entities/data-source.js";
import { makeTempHome } from "./temp-home.js";
import { tempPostgresDatabase } from "./temp-postgres.js";

/**
 * A migrated database, gaia.db in a fresh temp folder by default, or a fresh PostgreSQL database
 * (see temp-postgres.ts) written as host `host`; `close()` destroys it and removes it.
 */
export async function tempDatabase(
  backend: "sqlite" | "postgres" = "sqlite",
  options: { host?: string } = {},
): Promise<{ dataSource: DataSource; file: string; close(): Promise<void> }> {
  if (backend === "postgres") {
    const database = await tempPostgresDatabase();
    const { dataSource } = await openDatabase({ kind: "postgres", url: new Secret(database.url), host: options.host ?? "test-host" });
    return {
      dataSource,
      file: database.url,
      async close() {
        if (dataSource.isInitialized) await dataSource.destroy();
        await database.drop();
      },
    };
  }
  const home = makeTempHome("gaia-db-");
  const file = join(home.home, "gaia.db");
  const { dataSource } = await openDatabase(file);
  return {
    dataSource,
    file,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      home.cleanup();
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = "2025-06-01T12:00:00.000Z"): { now: () => Date; advance(ms: number): void; set(iso: string): void } {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms) {
      t += ms;
    },
    set(iso) {
      t = Date.parse(iso);
    },
  };
}
