import type { DataSource } from "typeorm";

/** The parts of TypeORM's better-sqlite3 query runner and driver this module adjusts. */
interface Runner {
  query(sql: string, ...rest: unknown[]): Promise<unknown>;
  isTransactionActive: boolean;
  transactionDepth: number;
}
interface Driver {
  createQueryRunner(mode?: string): Runner;
  queryRunner?: Runner;
  databaseConnection?: { inTransaction: boolean };
}

const patched = new WeakSet<Runner>();

/**
 * Makes every transaction `BEGIN IMMEDIATE`: the write lock is taken at BEGIN, so a database
 * held by another process fails there, before the transaction's callback has run or changed
 * anything, and the whole transaction can simply be tried again later (see serialize-writes.ts).
 * A deferred BEGIN would fail at its first write, halfway through the callback.
 */
export function useImmediateTransactions(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as Driver;
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode?: string) => {
    const runner = create(mode);
    if (!patched.has(runner)) {
      patched.add(runner);
      const query = runner.query.bind(runner);
      runner.query = (sql: string, ...rest: unknown[]) => query(sql === "BEGIN TRANSACTION" ? "BEGIN IMMEDIATE TRANSACTION" : sql, ...rest);
    }
    return runner;
  };
}

/** A number TypeORM's SQLite driver would have written into the SQL text, on its way to being bound. */
class BoundNumber {
  constructor(readonly value: number) {}
}

/**
 * Makes TypeORM bind numbers as parameters on SQLite instead of writing them into the SQL text
 * (its SQLite drivers inline every number: `VALUES (…, 67.48, …)`, `WHERE "id" = 6412`). With
 * numbers inlined, nearly every sample insert, and every query naming a row by id, is SQL text
 * never seen before: better-sqlite3 compiles it afresh, and TypeORM's statement cache (100 texts,
 * first in, first out) evicts another compiled statement for it. Thousands of statements compiled
 * and freed a day left the C allocator's heap fragmented and the process's memory growing for
 * hours (measured by the benchmark's simulated week). Bound, the same query is the same text, and
 * the cache keeps it compiled. A whole number is bound as a 64-bit integer (a BigInt: better-sqlite3
 * binds a JS number as a double) and any other as a double, as SQLite read the literal before.
 */
export function bindNumbersAsParameters(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { escapeQueryWithParameters(sql: string, parameters: Record<string, unknown>, nativeParameters: Record<string, unknown>): [string, unknown[]] };
  const escape = driver.escapeQueryWithParameters.bind(driver);
  driver.escapeQueryWithParameters = (sql, parameters, nativeParameters) => {
    if (!parameters) return escape(sql, parameters, nativeParameters);
    const wrapped: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(parameters)) wrapped[key] = typeof value === "number" ? new BoundNumber(value) : value;
    const [text, values] = escape(sql, wrapped, nativeParameters);
    return [text, values.map((value) => (value instanceof BoundNumber ? (Number.isSafeInteger(value.value) ? BigInt(value.value) : value.value) : value))];
  };
}

/**
 * After a failed transaction, makes TypeORM's idea of it match SQLite's. When SQLite rolls a
 * transaction back by itself (a full disk fails the COMMIT), TypeORM's ROLLBACK fails with "no
 * transaction is active" and its runner keeps believing one is open: from then on every
 * transaction would be a SAVEPOINT, and a rolled-back one would leave the connection inside an
 * uncommitted transaction that swallows every later write.
 */
export function resyncTransactionState(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as Driver;
  const runner = driver.queryRunner;
  const connection = driver.databaseConnection;
  if (!runner || !connection || connection.inTransaction) return;
  runner.isTransactionActive = false;
  runner.transactionDepth = 0;
}

/**
 * Waits, without blocking the event loop, until gaia.db's write lock can be taken (it is taken
 * and given back at once). Throws SQLite's busy error once `timeoutMs` has passed; `onWaiting`
 * is called once, when the first try finds the lock held.
 */
export async function waitForWriteLock(dataSource: DataSource, options: { timeoutMs: number; retryMs?: number; onWaiting?: () => void }): Promise<void> {
  const connection = (dataSource.driver as unknown as { databaseConnection: { exec(sql: string): void } }).databaseConnection;
  const started = Date.now();
  for (let tries = 0; ; tries++) {
    try {
      connection.exec("BEGIN IMMEDIATE");
      connection.exec("ROLLBACK");
      return;
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith("SQLITE_BUSY") !== true || Date.now() - started >= options.timeoutMs) throw error;
      if (tries === 0) options.onWaiting?.();
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 250));
    }
  }
}
