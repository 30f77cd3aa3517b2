import type { DataSource, EntityManager } from "typeorm";
import { StateEntry } from "./state-entry.js";

/** Where the heartbeat job keeps the time of its last beat (read by /healthz and /status). */
export const LAST_HEARTBEAT_KEY = "heartbeat.last";

/**
 * Where the task monitor keeps its bookkeeping (`{ version: 1, firstKnownAt: { TASK: ISO } }`):
 * when it first knew each task, the start of the missed-run clock before any good run. /status
 * reads it too, to say when such a task is due by the same rule.
 */
export const TASKS_STATE_KEY = "tasks.state";

/** Key-value state that survives a restart (last heartbeat, the rules' state, boot time). */
export class StateStore {
  constructor(private readonly dataSource: DataSource, private readonly now: () => Date = () => new Date()) {}

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.dataSource.getRepository(StateEntry).findOneBy({ key });
    return row ? (row.value as T) : undefined;
  }

  /** Stores a value; with the EntityManager of a transaction, atomically with the rest of it. */
  async set(key: string, value: unknown, options: { manager?: EntityManager } = {}): Promise<void> {
    await (options.manager ?? this.dataSource.manager).getRepository(StateEntry).save({ key, value, updatedAt: this.now() });
  }
}
