import { join } from "node:path";
import Database from "better-sqlite3";
import { DataSource } from "typeorm";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../entities/data-source.js";
import { ApprovalRequest, OutboxMessage } from "../../entities/index.js";
import { ChatIdsBigint1764130000000 } from "../../migrations/1764130000000-chat-ids-bigint.js";
import { ALL_MIGRATIONS } from "../../migrations/index.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { makeTempHome } from "../helpers/temp-home.js";

describe("upgrading gaia.db to bigint chat ids", () => {
  const defer = deferCleanups();

  it("keeps every outbox and approval row, their group chat ids and their indexes", async () => {
    const home = makeTempHome("gaia-upgrade-");
    defer(() => home.cleanup());
    const file = join(home.home, "gaia.db");
    const before = new DataSource({ type: "better-sqlite3", database: file, migrations: ALL_MIGRATIONS.slice(0, ALL_MIGRATIONS.indexOf(ChatIdsBigint1764130000000)), migrationsTableName: "migrations" });
    await before.initialize();
    await before.runMigrations({ transaction: "each" });
    await before.destroy();
    const raw = new Database(file);
    raw.prepare(`INSERT INTO "outbox" ("createdAt", "dueAt", "kind", "payload", "chatId", "status", "attempts") VALUES (?, ?, 'alert', '{"a":1}', ?, 'pending', 2)`).run(
      "2026-03-01 09:00:00.000",
      "2026-03-01 09:00:00.000",
      -1001234567890,
    );
    raw.prepare(`INSERT INTO "approvals" ("id", "title", "status", "createdAt", "expiresAt", "chatId", "messageId", "outcomeShown") VALUES ('ab12', 'deploy', 'pending', ?, ?, ?, 77, 0)`).run(
      "2026-03-01 09:00:00.000",
      "2026-03-01 09:10:00.000",
      -1001234567890,
    );
    raw.close();

    const { dataSource, applied } = await openDatabase(file);
    defer(() => dataSource.destroy());
    expect(applied).toContain("ChatIdsBigint1764130000000");
    expect(await dataSource.getRepository(OutboxMessage).find()).toMatchObject([{ id: 1, chatId: -1001234567890, attempts: 2, payload: { a: 1 } }]);
    expect(await dataSource.getRepository(ApprovalRequest).find()).toMatchObject([{ id: "ab12", chatId: -1001234567890, messageId: 77, outcomeShown: false }]);
    const indexes = (await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('outbox', 'approvals') AND name LIKE 'idx_%' ORDER BY name`)) as { name: string }[];
    expect(indexes.map((i) => i.name)).toEqual(["idx_approvals_status_expires", "idx_outbox_incident", "idx_outbox_status_due"]);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
