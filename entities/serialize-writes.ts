import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { DeleteQueryBuilder, InsertQueryBuilder, UpdateQueryBuilder, type DataSource } from "typeorm";
import { databaseTrouble } from "./database-trouble.js";
import { resyncTransactionState, useImmediateTransactions } from "./sqlite-runner.js";

/** The root manager's methods that write outside an explicit transaction. */
const WRITES = ["save", "insert", "update", "upsert", "delete", "remove", "clear", "increment", "decrement"] as const;

type Exclusive = <T>(work: () => Promise<T>) => Promise<T>;

/** Each serialized DataSource's turn-taking, for the query builders (which know only their DataSource). */
const turns = new WeakMap<DataSource, Exclusive>();

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
 *
 * Writes take turns whichever way they are made: through the manager and repositories, and
 * through query builders (`createQueryBuilder().update()…execute()`, the conditional UPDATEs of
 * approvals and the outbox), so there is one path for every write. Raw `query()` calls are
 * not covered: gaia makes none that write outside migrations.
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
  const exclusive: Exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    if (inside.getStore()) return work();
    const run = queue.then(() => inside.run(true, () => attempt(work)));
    queue = run.catch(() => undefined);
    return run;
  };
  turns.set(dataSource, exclusive);
  routeQueryBuilderWrites();
  // Own properties on the root manager shadow its methods; repositories call through it.
  const manager = dataSource.manager as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ["transaction", ...WRITES] as const) {
    const original = manager[name].bind(dataSource.manager);
    manager[name] = (...args: unknown[]) => exclusive(() => original(...args));
  }
}

let routed = false;

/**
 * Makes `execute()` of TypeORM's UPDATE, INSERT and DELETE query builders take its turn on a
 * serialized DataSource. Patched once, on the classes: a query builder is copied into a new one
 * at each `.update()` or `.insert()`, so no per-instance wrapper would survive.
 */
function routeQueryBuilderWrites(): void {
  if (routed) return;
  routed = true;
  for (const Builder of [UpdateQueryBuilder, InsertQueryBuilder, DeleteQueryBuilder]) {
    const prototype = Builder.prototype as unknown as { execute: (this: { connection: DataSource }) => Promise<unknown> };
    const original = prototype.execute;
    prototype.execute = function execute(this: { connection: DataSource }) {
      const exclusive = turns.get(this.connection);
      return exclusive ? exclusive(() => original.call(this)) : original.call(this);
    };
  }
}
