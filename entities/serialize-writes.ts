import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource } from "typeorm";
import { databaseTrouble } from "./database-trouble.js";
import { resyncTransactionState, useImmediateTransactions } from "./sqlite-runner.js";

/** The root manager's methods that write outside an explicit transaction. */
const WRITES = ["save", "insert", "update", "upsert", "delete", "remove", "clear", "increment", "decrement"] as const;

export interface SerializeWritesOptions {
  /** How long a write waits, in total, for a lock another process holds (default 5 s). */
  lockWaitMs?: number;
  /** Pause between two tries while the lock is held (default 250 ms). */
  lockRetryMs?: number;
  /** Hears the outcome of every transaction and write: its error, or undefined. */
  onOutcome?: (error: unknown) => void;
}

/**
 * Makes the transactions and writes of one DataSource take turns. With better-sqlite3, TypeORM
 * runs everything through ONE query runner, so two transactions at once interleave: the second
 * fails with "cannot start a transaction within a transaction" and its rollback ends the first
 * one early; a write made meanwhile lands inside someone else's transaction and is lost with its
 * rollback. Here each transaction, and each write outside one, waits for the previous to finish.
 * Work already inside a transaction (its callback, whatever it awaits) is never made to wait,
 * so nothing deadlocks: it joins the transaction, as before.
 *
 * SQLite's busy timeout is kept short (data-source.ts), because it blocks the event loop while it
 * waits: a lock held by another process is waited for here instead, asynchronously, by trying the
 * work again (transactions begin IMMEDIATE, so a refused lock means nothing was done yet).
 */
export function serializeWrites(dataSource: DataSource, options: SerializeWritesOptions = {}): void {
  useImmediateTransactions(dataSource);
  const inside = new AsyncLocalStorage<true>();
  let queue: Promise<unknown> = Promise.resolve();
  const lockWaitMs = options.lockWaitMs ?? 5000;
  const lockRetryMs = options.lockRetryMs ?? 250;
  const attempt = async <T>(work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    for (;;) {
      try {
        const result = await work();
        options.onOutcome?.(undefined);
        return result;
      } catch (error) {
        resyncTransactionState(dataSource);
        if (databaseTrouble(error) === "locked" && Date.now() - started + lockRetryMs <= lockWaitMs) {
          await sleep(lockRetryMs);
          continue;
        }
        options.onOutcome?.(error);
        throw error;
      }
    }
  };
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    if (inside.getStore()) return work();
    const run = queue.then(() => inside.run(true, () => attempt(work)));
    queue = run.catch(() => undefined);
    return run;
  };
  // Own properties on the root manager shadow its methods; repositories call through it.
  const manager = dataSource.manager as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ["transaction", ...WRITES] as const) {
    const original = manager[name].bind(dataSource.manager);
    manager[name] = (...args: unknown[]) => exclusive(() => original(...args));
  }
}
