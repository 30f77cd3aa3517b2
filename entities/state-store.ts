import type { DataSource } from "typeorm";
import { StateEntry } from "./state-entry.js";

/** Key-value state that survives a restart (last heartbeat, the rules' state, boot time). */
export class StateStore {
  constructor(private readonly dataSource: DataSource, private readonly now: () => Date = () => new Date()) {}

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.dataSource.getRepository(StateEntry).findOneBy({ key });
    return row ? (row.value as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.dataSource.getRepository(StateEntry).save({ key, value, updatedAt: this.now() });
  }
}
