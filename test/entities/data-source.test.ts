import { afterEach, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { join } from "node:path";
import { openDatabase } from "../../entities/data-source.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { OutboxMessage } from "../../entities/outbox-message.js";
import { StateStore } from "../../entities/state-store.js";
import { ALL_MIGRATIONS } from "../../migrations/index.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { tempDatabase } from "../helpers/temp-database.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { DATABASE_BACKENDS, TEST_POSTGRES_URL } from "../helpers/temp-postgres.js";

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

describe.each(DATABASE_BACKENDS)("the same entities and migrations on %s", (backend) => {
  const defer = deferCleanups();

  it("leave nothing for TypeORM's schema builder to change, and keep times, booleans, JSON and group chat ids as written", async () => {
    const db = await tempDatabase(backend);
    defer(() => db.close());
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);

    const createdAt = new Date("2026-11-25T23:59:58.123Z");
    const outbox = db.dataSource.getRepository(OutboxMessage);
    const saved = await outbox.save(outbox.create({ createdAt, dueAt: createdAt, kind: "alert", payload: { subject: "agent", n: 1 }, chatId: -1001234567890 }));
    const row = await outbox.findOneByOrFail({ id: saved.id });
    expect(row).toMatchObject({ createdAt, kind: "alert", payload: { subject: "agent", n: 1 }, chatId: -1001234567890, status: "pending", attempts: 0 });
    expect(row.deliveredAt).toBeNull();
  });
});

describe.skipIf(!TEST_POSTGRES_URL)("gaia on PostgreSQL", () => {
  const defer = deferCleanups();

  it("applies every migration once, even when two hosts start at the same moment", async () => {
    const { tempPostgresDatabase } = await import("../helpers/temp-postgres.js");
    const { Secret } = await import("../../config/secret.js");
    const database = await tempPostgresDatabase();
    defer(() => database.drop());
    const open = (host: string) => openDatabase({ kind: "postgres", url: new Secret(database.url), host });
    const [a, b] = await Promise.all([open("nas"), open("pi")]);
    defer(() => a.dataSource.destroy());
    defer(() => b.dataSource.destroy());
    expect([...a.applied, ...b.applied].sort()).toEqual(ALL_MIGRATIONS.map((migration) => new migration().name).sort());
  });
});
