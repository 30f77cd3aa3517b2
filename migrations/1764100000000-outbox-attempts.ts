import type { MigrationInterface, QueryRunner } from "typeorm";
import { isPostgres } from "./dialect.js";

/**
 * The outbox records an attempt before the network call: `attemptStartedAt` is set before a
 * send and cleared once its outcome is written, so a row that still has it after a crash (kill -9
 * while Telegram's answer was on its way) may already be in the chat; `maybeSent` then marks it,
 * and its next send says it is possibly a repeat. `incidentId` names the incident an alert is
 * about, so that delivery can tell whether an incident's opening alert ever reached the chat
 * (a recovery of an alert never sent is not news).
 */
export class OutboxAttempts1764100000000 implements MigrationInterface {
  name = "OutboxAttempts1764100000000";

  async up(db: QueryRunner): Promise<void> {
    const [time, no] = isPostgres(db) ? ["timestamp", "false"] : ["datetime", "(0)"];
    await db.query(`ALTER TABLE "outbox" ADD COLUMN "attemptStartedAt" ${time}`);
    await db.query(`ALTER TABLE "outbox" ADD COLUMN "maybeSent" boolean NOT NULL DEFAULT ${no}`);
    await db.query(`ALTER TABLE "outbox" ADD COLUMN "incidentId" integer`);
    await db.query(`CREATE INDEX "idx_outbox_incident" ON "outbox" ("incidentId")`);
    const incidentOf = isPostgres(db) ? `CAST(("payload"::json ->> 'incidentId') AS integer)` : `CAST(json_extract("payload", '$.incidentId') AS integer)`;
    await db.query(`UPDATE "outbox" SET "incidentId" = ${incidentOf} WHERE "kind" = 'alert'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX "idx_outbox_incident"`);
    await db.query(`ALTER TABLE "outbox" DROP COLUMN "incidentId"`);
    await db.query(`ALTER TABLE "outbox" DROP COLUMN "maybeSent"`);
    await db.query(`ALTER TABLE "outbox" DROP COLUMN "attemptStartedAt"`);
  }
}
