import type { MigrationInterface, QueryRunner } from "typeorm";
import { isPostgres } from "./dialect.js";

/** The chat id columns, whose values (-100… for groups) need 64 bits. */
const CHAT_ID_COLUMNS = [
  ["outbox", "chatId"],
  ["approvals", "chatId"],
] as const;

/**
 * `outbox.chatId` and `approvals.chatId` become `bigint`. SQLite already stored them in 64 bits
 * (its `integer` is 8 bytes), so there only the declared type changes, which SQLite does by
 * rebuilding the table (TypeORM copies every row and every other column as it finds them);
 * PostgreSQL's `integer` is 4 bytes and would refuse a group's chat id.
 */
export class ChatIdsBigint1764130000000 implements MigrationInterface {
  name = "ChatIdsBigint1764130000000";

  async up(db: QueryRunner): Promise<void> {
    await changeType(db, "bigint");
  }

  async down(db: QueryRunner): Promise<void> {
    await changeType(db, "integer");
  }
}

async function changeType(db: QueryRunner, type: "bigint" | "integer"): Promise<void> {
  for (const [tableName, columnName] of CHAT_ID_COLUMNS) {
    if (isPostgres(db)) {
      await db.query(`ALTER TABLE "${tableName}" ALTER COLUMN "${columnName}" TYPE ${type}`);
      continue;
    }
    const table = await db.getTable(tableName);
    const column = table?.findColumnByName(columnName);
    if (!table || !column) throw new Error(`${tableName}.${columnName} is missing`);
    const changed = column.clone();
    changed.type = type;
    await db.changeColumn(table, column, changed);
  }
}
