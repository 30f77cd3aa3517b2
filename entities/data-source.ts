import "reflect-metadata";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DataSource } from "typeorm";
import { ALL_MIGRATIONS } from "../migrations/index.js";
import { ALL_ENTITIES } from "./index.js";
import { serializeWrites } from "./serialize-writes.js";

/**
 * The TypeORM DataSource of gaia.db: SQLite through better-sqlite3, WAL (readers never wait for
 * the writer) and a busy timeout (a `gaia` CLI and the monitor may write at once).
 * Migrations only, never `synchronize`.
 */
export function createDataSource(databaseFile: string): DataSource {
  mkdirSync(dirname(databaseFile), { recursive: true });
  const dataSource = new DataSource({
    type: "better-sqlite3",
    database: databaseFile,
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: "migrations",
    synchronize: false,
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma("synchronous = NORMAL");
      // better-sqlite3 builds SQLite with a 16 MB page cache; 2 MB keeps a weeks-long monitor's
      // memory flat as gaia.db grows (measured by the benchmark's simulated days).
      db.pragma("cache_size = -2000");
      db.pragma("foreign_keys = ON");
    },
    logging: false,
  });
  // One connection for everything: transactions and writes must take turns (see serialize-writes.ts).
  serializeWrites(dataSource);
  return dataSource;
}

/** Opens gaia.db and applies pending migrations; returns the names of those applied. */
export async function openDatabase(databaseFile: string): Promise<{ dataSource: DataSource; applied: string[] }> {
  const dataSource = createDataSource(databaseFile);
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: "each" });
    return { dataSource, applied: applied.map((m) => m.name) };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}
