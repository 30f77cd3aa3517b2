import { afterEach, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { join } from "node:path";
import { openDatabase } from "../../entities/data-source.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { StateStore } from "../../entities/state-store.js";
import { ALL_MIGRATIONS } from "../../migrations/index.js";
import { makeTempHome } from "../helpers/temp-home.js";

describe("gaia.db", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  it("is created by migrations that match the entities exactly, in WAL mode", async () => {
    const home = makeTempHome();
    homes.push(home);
    const file = join(home.home, "gaia.db");
    const { dataSource, applied } = await openDatabase(file);
    expect(applied).toEqual(ALL_MIGRATIONS.map((migration) => new migration().name));
    // TypeORM's schema builder lists what synchronize would change: nothing, if migrations are right.
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    await dataSource.destroy();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();

    const again = await openDatabase(file);
    expect(again.applied).toEqual([]);
    await again.dataSource.destroy();
  });

  it("records an audit entry in one call and keeps state across a reopen", async () => {
    const home = makeTempHome();
    homes.push(home);
    const file = join(home.home, "gaia.db");
    const first = await openDatabase(file);
    await new AuditTrail(first.dataSource).record({ kind: "monitor.started", message: "Gaia started", details: { pid: 1 } });
    await new StateStore(first.dataSource).set("heartbeat.last", { at: "2026-11-25T10:00:00.000Z" });
    await first.dataSource.destroy();

    const second = await openDatabase(file);
    const [entry] = await new AuditTrail(second.dataSource).recent();
    expect(entry).toMatchObject({ kind: "monitor.started", actor: "system", message: "Gaia started", details: { pid: 1 } });
    expect(await new StateStore(second.dataSource).get("heartbeat.last")).toEqual({ at: "2026-11-25T10:00:00.000Z" });
    await second.dataSource.destroy();
  });
});
