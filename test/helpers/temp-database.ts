import { join } from "node:path";
import type { DataSource } from "typeorm";
import { openDatabase } from "../../entities/data-source.js";
import { makeTempHome } from "./temp-home.js";

/** A migrated gaia.db in a fresh temp folder; `close()` destroys it and removes the folder. */
export async function tempDatabase(): Promise<{ dataSource: DataSource; file: string; close(): Promise<void> }> {
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
