import { AsyncLocalStorage } from "node:async_hooks";
import type { DataSource } from "typeorm";

/** The root manager's methods that write outside an explicit transaction. */
const WRITES = ["save", "insert", "update", "upsert", "delete", "remove", "clear", "increment", "decrement"] as const;

/**
 * Makes the transactions and writes of one DataSource take turns. With better-sqlite3, TypeORM
 * runs everything through ONE query runner, so two transactions at once interleave: the second
 * fails with "cannot start a transaction within a transaction" and its rollback ends the first
 * one early; a write made meanwhile lands inside someone else's transaction and is lost with its
 * rollback. Here each transaction, and each write outside one, waits for the previous to finish.
 * Work already inside a transaction (its callback, whatever it awaits) is never made to wait,
 * so nothing deadlocks: it joins the transaction, as before.
 */
export function serializeWrites(dataSource: DataSource): void {
  const inside = new AsyncLocalStorage<true>();
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    if (inside.getStore()) return work();
    const run = queue.then(() => inside.run(true, work));
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
