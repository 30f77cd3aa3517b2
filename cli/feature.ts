import type { Api } from "grammy";
import type { DataSource } from "typeorm";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { ApiRoutes } from "../api/router.js";
import type { ChatFeatureDeps } from "../bot/features/index.js";
import type { TelegramHealth } from "../bot/telegram-health.js";
import type { Redact } from "../config/redact.js";
import type { Config } from "../config/types.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import type { StateStore } from "../entities/state-store.js";
import type { Job } from "../jobs/job.js";
import type { StorageHealth } from "../entities/storage-health.js";
import type { Scheduler } from "../jobs/scheduler.js";

/** What the composition root has built by the time features are wired; passed explicitly. */
export interface CoreServices {
  config: Config;
  logger: Logger;
  dataSource: DataSource;
  audit: AuditTrail;
  state: StateStore;
  /** Whether gaia.db can be written (a full disk), as its writes show it. */
  storage: StorageHealth;
  scheduler: Scheduler;
  /** The Bot API (Telegram, or the terminal in console mode). */
  api: Api;
  telegramHealth: TelegramHealth;
  /** The Prometheus registry behind `GET /metrics`: each feature registers its own metrics here. */
  metrics: Registry;
  /**
   * The one redactor (known secret values and secret-shaped text): every command line, output
   * and log line gaia shows or stores passes through it.
   */
  redact: Redact;
  now: () => Date;
}

/**
 * One feature's wiring, returned by a `wire…` function in `cli/wiring/`: what its chat features
 * need (bot/features/ builds them, all in one place), its local API routes, its jobs, and what to
 * do once everything runs and when stopping.
 */
export interface FeatureWiring {
  /** The parts of the chat features' dependencies this wiring owns. */
  chat?: Partial<ChatFeatureDeps>;
  routes?: ApiRoutes[];
  /** The feature's scheduled jobs, as data: the composition root starts them all together. */
  jobs?: Job[];
  /** Runs once the bot and the API are up, before the jobs start (e.g. the "Gaia started" notice). */
  started?(): Promise<void>;
  /** Runs first when stopping, before the jobs and the database stop. */
  stop?(): Promise<void>;
}
