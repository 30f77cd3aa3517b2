import type { MigrationInterface, QueryRunner } from "typeorm";
import { isPostgres } from "./dialect.js";

/**
 * `rotations`: one row per token rotation with the last step it completed, so that a crash at
 * any step resumes (or rolls back) on the next start. Fingerprints only, never a token.
 */
export class Rotations1764120000000 implements MigrationInterface {
  name = "Rotations1764120000000";

  async up(db: QueryRunner): Promise<void> {
    const pg = isPostgres(db);
    const datetime = pg ? "timestamp" : "datetime";
    await db.query(`CREATE TABLE "rotations" (
      "id" ${pg ? "SERIAL PRIMARY KEY" : "integer PRIMARY KEY AUTOINCREMENT NOT NULL"},
      "identity" varchar(8) NOT NULL,
      "trigger" varchar(16) NOT NULL,
      "requestedBy" varchar(64) NOT NULL,
      "step" varchar(16) NOT NULL,
      "outcome" varchar(16) NOT NULL DEFAULT ${pg ? "'running'" : "('running')"},
      "login" varchar(100),
      "oldFingerprint" varchar(80),
      "newFingerprint" varchar(80),
      "newExpiresAt" ${datetime},
      "startedAt" ${datetime} NOT NULL,
      "updatedAt" ${datetime} NOT NULL,
      "finishedAt" ${datetime},
      "error" text,
      "details" text
    )`);
    await db.query(`CREATE INDEX "idx_rotations_outcome" ON "rotations" ("outcome", "startedAt")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX "idx_rotations_outcome"`);
    await db.query(`DROP TABLE "rotations"`);
  }
}
