import "reflect-metadata";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { DataSource } from "typeorm";
import type { DatabaseTarget } from "../config/database-target.js";
import { ALL_MIGRATIONS } from "../migrations/index.js";
import { scopeToHost } from "./host-scope.js";
import { ALL_ENTITIES } from "./index.js";
import { serializeWrites, type SerializeWritesOptions } from "./serialize-writes.js";
import { bindNumbersAsParameters, waitForWriteLock } from "./sqlite-runner.js";

/**
 * SQLite's busy timeout: how long one statement may block the event loop waiting for a lock
 * another process holds. Short on purpose; longer waits are asynchronous (serialize-writes.ts).
 */
const BUSY_TIMEOUT_MS = 100;

/** The most SQLite's page cache of gaia.db may hold, in KiB. */
const PAGE_CACHE_KIB = 512;

/**
 * The TypeORM DataSource of gaia.db: SQLite through better-sqlite3, WAL (readers never wait for
 * the writer) and a short busy timeout (a `gaia` CLI and the monitor may write at once; a longer
 * wait for the lock happens between tries, without blocking). Migrations only, never `synchronize`.
 */
export function createDataSource(databaseFile: string, writes: SerializeWritesOptions = {}): DataSource {
  mkdirSync(dirname(databaseFile), { recursive: true });
  // Made 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
  if (databaseFile !== ":memory:") closeSync(openSync(databaseFile, "a", 0o600));
  const dataSource = new DataSource({
    type: "better-sqlite3",
    database: databaseFile,
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: "migrations",
    synchronize: false,
    enableWAL: true,
    timeout: BUSY_TIMEOUT_MS,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma("synchronous = NORMAL");
      // better-sqlite3 builds SQLite with a 16 MB page cache, and it fills as gaia.db grows: over
      // the first day at 2 MB (the benchmark's simulated week). gaia's statements touch a few dozen
      // pages (the tables' last pages, one index leaf per subject); the OS caches the rest of the file.
      db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
      db.pragma("foreign_keys = ON");
    },
    logging: false,
  });
  // One connection for everything: transactions and writes must take turns (see serialize-writes.ts).
  serializeWrites(dataSource, writes);
  bindNumbersAsParameters(dataSource);
  return dataSource;
}

/**
 * The DataSource of a PostgreSQL database (`DATABASE_URL`) through `pg`, loaded only then so that
 * the SQLite default does not pay for it. A small pool: one monitor writes little, and every host
 * of a shared database holds its own connections.
 */
export async function createPostgresDataSource(url: string): Promise<DataSource> {
  const { default: pg } = await import("pg");
  // The entities' `Date` columns are `timestamp` (without time zone, as SQLite's datetime text):
  // written and read as UTC, so hosts in different time zones agree on every instant.
  pg.defaults.parseInputDatesAsUTC = true;
  pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (text: string) => new Date(`${text.replace(" ", "T")}Z`));
  return new DataSource({
    type: "postgres",
    url,
    driver: pg,
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: "migrations",
    synchronize: false,
    poolSize: 4,
    logging: false,
  });
}

/** How gaia.db is opened: its writes (serialize-writes.ts), and how long to wait for a lock another process holds. */
export interface OpenDatabaseOptions extends SerializeWritesOptions {
  /** Wait this long for gaia.db's write lock before migrating (default: no wait beyond the busy timeout). */
  startupLockWaitMs?: number;
  /** Called once when the lock is found held and the wait begins. */
  onLockedAtStart?: () => void;
}

/**
 * Opens the database (gaia.db, or PostgreSQL) and applies pending migrations; returns the names of
 * those applied. A plain path is a SQLite file. `options` apply to SQLite.
 */
export async function openDatabase(target: string | DatabaseTarget, options: OpenDatabaseOptions = {}): Promise<{ dataSource: DataSource; applied: string[] }> {
  const where: DatabaseTarget = typeof target === "string" ? { kind: "sqlite", file: target } : target;
  const { startupLockWaitMs, onLockedAtStart, ...writes } = options;
  const dataSource = where.kind === "sqlite" ? createDataSource(where.file, writes) : await createPostgresDataSource(where.url.reveal());
  // gaia.db is one host's: its rows carry an empty host. A shared PostgreSQL keeps hosts apart.
  scopeToHost(dataSource, where.kind === "postgres" ? where.host : "");
  await dataSource.initialize();
  try {
    if (where.kind === "sqlite" && startupLockWaitMs) await waitForWriteLock(dataSource, { timeoutMs: startupLockWaitMs, onWaiting: onLockedAtStart });
    const applied = where.kind === "postgres" ? await migrateAlone(dataSource) : await dataSource.runMigrations({ transaction: "each" });
    return { dataSource, applied: applied.map((m) => m.name) };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

/** Any number that is gaia's own: the advisory lock several hosts take to migrate one at a time. */
const MIGRATION_LOCK = 7_461_696_001;

/** Hosts sharing one PostgreSQL database may start at once: the first migrates, the others wait and find nothing to do. */
async function migrateAlone(dataSource: DataSource) {
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    return await dataSource.runMigrations({ transaction: "each" });
  } finally {
    await lock.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    await lock.release();
  }
}
