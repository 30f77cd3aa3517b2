import type { MigrationInterface, QueryRunner } from "typeorm";
import { isPostgres } from "./dialect.js";

/** The first schema of gaia.db: audit trail, incidents, outbox, state, mutes, approvals, runs, samples. */
export class InitialSchema1764072000000 implements MigrationInterface {
  name = "InitialSchema1764072000000";

  async up(db: QueryRunner): Promise<void> {
    if (isPostgres(db)) return upPostgres(db);
    await db.query(`CREATE TABLE "events" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "at" datetime NOT NULL,
      "kind" varchar(64) NOT NULL,
      "actor" varchar(64) NOT NULL DEFAULT ('system'),
      "subject" varchar(128),
      "message" text NOT NULL,
      "details" text)`);
    await db.query(`CREATE INDEX "idx_events_at" ON "events" ("at")`);
    await db.query(`CREATE INDEX "idx_events_subject" ON "events" ("subject", "at")`);

    await db.query(`CREATE TABLE "incidents" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "key" varchar(128) NOT NULL,
      "subjectKind" varchar(16) NOT NULL,
      "subjectName" varchar(64) NOT NULL,
      "condition" varchar(16) NOT NULL,
      "status" varchar(16) NOT NULL DEFAULT ('open'),
      "openedAt" datetime NOT NULL,
      "resolvedAt" datetime,
      "acknowledgedAt" datetime,
      "acknowledgedBy" varchar(64),
      "muted" boolean NOT NULL DEFAULT (0),
      "figures" text)`);
    await db.query(`CREATE INDEX "idx_incidents_key_status" ON "incidents" ("key", "status")`);
    await db.query(`CREATE INDEX "idx_incidents_subject" ON "incidents" ("subjectName", "openedAt")`);

    await db.query(`CREATE TABLE "outbox" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "createdAt" datetime NOT NULL,
      "dueAt" datetime NOT NULL,
      "kind" varchar(32) NOT NULL,
      "payload" text NOT NULL,
      "chatId" integer NOT NULL,
      "status" varchar(16) NOT NULL DEFAULT ('pending'),
      "attempts" integer NOT NULL DEFAULT (0),
      "lastError" text,
      "deliveredAt" datetime,
      "telegramMessageId" integer)`);
    await db.query(`CREATE INDEX "idx_outbox_status_due" ON "outbox" ("status", "dueAt")`);

    await db.query(`CREATE TABLE "state" (
      "key" varchar(64) PRIMARY KEY NOT NULL,
      "value" text NOT NULL,
      "updatedAt" datetime NOT NULL)`);

    await db.query(`CREATE TABLE "mutes" (
      "subject" varchar(64) PRIMARY KEY NOT NULL,
      "until" datetime NOT NULL,
      "mutedBy" varchar(64) NOT NULL,
      "createdAt" datetime NOT NULL)`);

    await db.query(`CREATE TABLE "approvals" (
      "id" varchar(32) PRIMARY KEY NOT NULL,
      "title" varchar(200) NOT NULL,
      "details" text,
      "requester" varchar(200),
      "status" varchar(16) NOT NULL DEFAULT ('pending'),
      "createdAt" datetime NOT NULL,
      "expiresAt" datetime NOT NULL,
      "decidedBy" varchar(128),
      "decidedAt" datetime,
      "chatId" integer,
      "messageId" integer)`);
    await db.query(`CREATE INDEX "idx_approvals_status_expires" ON "approvals" ("status", "expiresAt")`);

    await db.query(`CREATE TABLE "task_runs" (
      "id" varchar(40) PRIMARY KEY NOT NULL,
      "task" varchar(32) NOT NULL,
      "startedAt" datetime NOT NULL,
      "endedAt" datetime,
      "status" varchar(16) NOT NULL DEFAULT ('running'),
      "exitCode" integer,
      "durationMs" integer,
      "outputTail" text)`);
    await db.query(`CREATE INDEX "idx_task_runs_task_started" ON "task_runs" ("task", "startedAt")`);

    await db.query(`CREATE TABLE "samples" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "at" datetime NOT NULL,
      "subject" varchar(64) NOT NULL,
      "cpu" real,
      "memory" real,
      "disk" real)`);
    await db.query(`CREATE INDEX "idx_samples_subject_at" ON "samples" ("subject", "at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ["samples", "task_runs", "approvals", "mutes", "state", "outbox", "incidents", "events"]) {
      await db.query(`DROP TABLE "${table}"`);
    }
  }
}

/** The same schema in PostgreSQL's words: `SERIAL` ids, `timestamp` (UTC, see data-source.ts), `false` defaults. */
async function upPostgres(db: QueryRunner): Promise<void> {
  await db.query(`CREATE TABLE "events" (
    "id" SERIAL PRIMARY KEY,
    "at" timestamp NOT NULL,
    "kind" varchar(64) NOT NULL,
    "actor" varchar(64) NOT NULL DEFAULT 'system',
    "subject" varchar(128),
    "message" text NOT NULL,
    "details" text)`);
  await db.query(`CREATE INDEX "idx_events_at" ON "events" ("at")`);
  await db.query(`CREATE INDEX "idx_events_subject" ON "events" ("subject", "at")`);

  await db.query(`CREATE TABLE "incidents" (
    "id" SERIAL PRIMARY KEY,
    "key" varchar(128) NOT NULL,
    "subjectKind" varchar(16) NOT NULL,
    "subjectName" varchar(64) NOT NULL,
    "condition" varchar(16) NOT NULL,
    "status" varchar(16) NOT NULL DEFAULT 'open',
    "openedAt" timestamp NOT NULL,
    "resolvedAt" timestamp,
    "acknowledgedAt" timestamp,
    "acknowledgedBy" varchar(64),
    "muted" boolean NOT NULL DEFAULT false,
    "figures" text)`);
  await db.query(`CREATE INDEX "idx_incidents_key_status" ON "incidents" ("key", "status")`);
  await db.query(`CREATE INDEX "idx_incidents_subject" ON "incidents" ("subjectName", "openedAt")`);

  await db.query(`CREATE TABLE "outbox" (
    "id" SERIAL PRIMARY KEY,
    "createdAt" timestamp NOT NULL,
    "dueAt" timestamp NOT NULL,
    "kind" varchar(32) NOT NULL,
    "payload" text NOT NULL,
    "chatId" integer NOT NULL,
    "status" varchar(16) NOT NULL DEFAULT 'pending',
    "attempts" integer NOT NULL DEFAULT 0,
    "lastError" text,
    "deliveredAt" timestamp,
    "telegramMessageId" integer)`);
  await db.query(`CREATE INDEX "idx_outbox_status_due" ON "outbox" ("status", "dueAt")`);

  await db.query(`CREATE TABLE "state" (
    "key" varchar(64) PRIMARY KEY,
    "value" text NOT NULL,
    "updatedAt" timestamp NOT NULL)`);

  await db.query(`CREATE TABLE "mutes" (
    "subject" varchar(64) PRIMARY KEY,
    "until" timestamp NOT NULL,
    "mutedBy" varchar(64) NOT NULL,
    "createdAt" timestamp NOT NULL)`);

  await db.query(`CREATE TABLE "approvals" (
    "id" varchar(32) PRIMARY KEY,
    "title" varchar(200) NOT NULL,
    "details" text,
    "requester" varchar(200),
    "status" varchar(16) NOT NULL DEFAULT 'pending',
    "createdAt" timestamp NOT NULL,
    "expiresAt" timestamp NOT NULL,
    "decidedBy" varchar(128),
    "decidedAt" timestamp,
    "chatId" integer,
    "messageId" integer)`);
  await db.query(`CREATE INDEX "idx_approvals_status_expires" ON "approvals" ("status", "expiresAt")`);

  await db.query(`CREATE TABLE "task_runs" (
    "id" varchar(40) PRIMARY KEY,
    "task" varchar(32) NOT NULL,
    "startedAt" timestamp NOT NULL,
    "endedAt" timestamp,
    "status" varchar(16) NOT NULL DEFAULT 'running',
    "exitCode" integer,
    "durationMs" integer,
    "outputTail" text)`);
  await db.query(`CREATE INDEX "idx_task_runs_task_started" ON "task_runs" ("task", "startedAt")`);

  await db.query(`CREATE TABLE "samples" (
    "id" SERIAL PRIMARY KEY,
    "at" timestamp NOT NULL,
    "subject" varchar(64) NOT NULL,
    "cpu" real,
    "memory" real,
    "disk" real)`);
  await db.query(`CREATE INDEX "idx_samples_subject_at" ON "samples" ("subject", "at")`);
}
