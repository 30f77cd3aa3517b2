import type { MigrationInterface, QueryRunner } from "typeorm";
import { isPostgres } from "./dialect.js";

/**
 * `approvals.outcomeShown`: whether a decided or expired request's message was edited to show the
 * outcome. Kept in gaia.db so that an edit that failed (Telegram down, a restart) is retried.
 */
export class ApprovalOutcomeShown1764078000000 implements MigrationInterface {
  name = "ApprovalOutcomeShown1764078000000";

  async up(db: QueryRunner): Promise<void> {
    const [no, yes] = isPostgres(db) ? ["false", "true"] : ["(0)", "1"];
    await db.query(`ALTER TABLE "approvals" ADD COLUMN "outcomeShown" boolean NOT NULL DEFAULT ${no}`);
    // Requests settled before this column existed are not edited after the fact.
    await db.query(`UPDATE "approvals" SET "outcomeShown" = ${yes} WHERE "status" <> 'pending'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "approvals" DROP COLUMN "outcomeShown"`);
  }
}
