import type { Bot } from "grammy";
import { Registry } from "prom-client";
import { ensureApiToken } from "../api/api-token.js";
import { checkHealth, healthRoutes } from "../api/health-routes.js";
import { startApiServer, type ApiRoutes } from "../api/server.js";
import { createBot, installFeatures, registerCommands } from "../bot/bot.js";
import { chatFeatures, completeChatFeatureDeps } from "../bot/features/index.js";
import { TelegramPolling } from "../bot/polling.js";
import { TelegramDeadlines } from "../bot/telegram-deadlines.js";
import { isUnauthorized } from "../bot/telegram-errors.js";
import type { GaiaContext } from "../bot/context.js";
import { TelegramHealth } from "../bot/telegram-health.js";
import { tightenHomeModes } from "../config/home-modes.js";
import { isLoopbackHost } from "../config/loopback.js";
import { createRedactor, secretValuesOf } from "../config/redact.js";
import type { Config } from "../config/types.js";
import { AuditTrail } from "../entities/audit-trail.js";
import { openDatabase } from "../entities/data-source.js";
import { databaseTarget } from "../config/database-target.js";
import { StorageHealth } from "../entities/storage-health.js";
import { databaseTrouble } from "../entities/database-trouble.js";
import { findDatabaseHolders } from "./database-holders.js";
import { explainDatabaseError } from "./database-problem.js";
import { StateStore } from "../entities/state-store.js";
import { Scheduler } from "../jobs/scheduler.js";
import { ConsoleChat, CONSOLE_BOT_INFO } from "./console-chat.js";
import type { CliIo } from "./io.js";
import { closeLogger, createLogger, type Logger } from "./logger.js";
import { acquirePidfile } from "./pidfile.js";
import type { CoreServices, FeatureWiring } from "./feature.js";
import { wireApprovals } from "./wiring/approvals.js";
import { wireChat } from "./wiring/chat.js";
import { wireTasks } from "./wiring/tasks.js";
import { wireMonitoring } from "./wiring/monitoring.js";
import { wireRotation } from "./wiring/rotation.js";
import { LatestSnapshot } from "../monitor/latest-snapshot.js";

/** How the monitor talks to people: Telegram, or the terminal in console mode. */
export type ChatMode = { kind: "telegram" } | { kind: "console"; io: CliIo };

/** Why the monitor stopped by itself; `message` is for the terminal (stderr). */
export interface StopOutcome {
  reason: string;
  exitCode: number;
  message?: string;
}

/** A running monitor; `stopped` settles when it has stopped by itself (bot failure, console closed). */
export interface RunningMonitor {
  stop(): Promise<void>;
  stopped: Promise<StopOutcome>;
}

/**
 * The composition root: config → API token → home modes → pidfile → logs → gaia.db → domain services → bot →
 * API → jobs. Everything is passed explicitly, and `stop()` takes it down in reverse order.
 */
export async function startMonitor(config: Config, mode: ChatMode): Promise<RunningMonitor> {
  // Checked (or made) with the other files, before anything starts: a bad .private/api-token
  // is a config problem (exit 2), not a failure after Telegram polling began.
  const apiToken = ensureApiToken(config);
  const redact = createRedactor(secretValuesOf(config.env, apiToken));
  const modesFixed = tightenHomeModes(config.paths);
  const releasePidfile = acquirePidfile(config.paths.pidFile);
  const teardown: (() => Promise<void> | void)[] = [releasePidfile];
  const now = () => new Date();
  let logger: Logger | undefined;
  try {
    logger = await createLogger({
      level: config.env.logLevel,
      logDir: config.paths.logDir,
      toStdout: mode.kind === "telegram",
      redact,
    });
    const log = logger;
    teardown.push(() => closeLogger(log));
    if (modesFixed.length > 0) log.warn({ fixed: modesFixed }, `made gaia's files private (they were readable by group or others): ${modesFixed.join(", ")}`);

    // gaia.db
    const storage = new StorageHealth(config.paths.home, now);
    const { dataSource, applied } = await openGaiaDatabase(config, storage, log);
    teardown.push(() => dataSource.destroy());
    if (applied.length) log.info({ migrations: applied }, "applied database migrations");
    const audit = new AuditTrail(dataSource, now);
    const state = new StateStore(dataSource, now);

    const scheduler = new Scheduler(log);
    teardown.push(() => scheduler.stop());

    // Chat
    let stopSignal: (outcome: StopOutcome) => void = () => undefined;
    const stopped = new Promise<StopOutcome>((resolve) => (stopSignal = resolve));
    const telegramHealth = new TelegramHealth(mode.kind === "telegram");
    const deadlines = new TelegramDeadlines();
    // The bot's Api exists before its handlers: features need it to send, the bot needs their handlers.
    const bot = createBot({
      token: mode.kind === "telegram" ? config.env.telegramBotToken!.reveal() : "0:console",
      apiRoot: config.env.telegramApiRoot,
      admins: config.settings.telegram.admins,
      alertChat: config.settings.telegram.chat,
      audit,
      logger: log,
      deadlines,
      ...(mode.kind === "console" ? { botInfo: CONSOLE_BOT_INFO } : {}),
    });
    bot.api.config.use(telegramHealth.transformer());
    const core: CoreServices = { config, logger: log, dataSource, audit, state, storage, scheduler, api: bot.api, telegramHealth, metrics: new Registry(), redact, now };
    const features = wireFeatures(core);
    installFeatures(bot, chatFeatures(completeChatFeatureDeps(features.map((f) => f.chat ?? {}))));
    teardown.push(async () => {
      for (const feature of [...features].reverse()) await feature.stop?.();
    });
    const consoleChat = mode.kind === "console" ? startConsole(bot, mode.io, config, () => stopSignal({ reason: "console closed", exitCode: 0 })) : undefined;
    if (consoleChat) teardown.push(() => consoleChat.close());
    // Every Telegram call still in flight ends when stopping (each has a deadline anyway), so
    // that a hanging Telegram cannot hold up the jobs, the features or the exit.
    teardown.push(() => deadlines.abortAll());
    if (mode.kind === "telegram") {
      // In the background: the API, the jobs and the probe start while Telegram is out of reach.
      const firstPoll = firstLongPoll(bot);
      const polling = new TelegramPolling({
        bot,
        logger: log,
        allowedUpdates: ["message", "callback_query"],
        onConnected: () => registerCommands(bot, config.settings.telegram.admins, config.settings.telegram.chat),
        onFatal: (error) => {
          log.error({ err: error }, "Telegram polling stopped");
          stopSignal(
            isUnauthorized(error)
              ? { reason: "Telegram refused the token", exitCode: 2, message: TOKEN_REFUSED }
              : { reason: "Telegram polling stopped", exitCode: 1 },
          );
        },
      });
      polling.start();
      teardown.push(() => polling.stop());
      // The bot hears its users first: the local API, the jobs and the first probe start once
      // the first long poll is out (see firstLongPoll).
      await firstPoll;
    }

    // Local API
    if (config.settings.api.allowRemote && !isLoopbackHost(config.settings.api.host)) {
      log.warn(
        { listen: `${config.settings.api.host}:${config.settings.api.port}` },
        `WARNING: the local API listens on ${config.settings.api.host}:${config.settings.api.port}, beyond this host (api.allowRemote: true): anyone who can reach that port may try the token, and /healthz and /metrics answer without one; firewall the port, or listen on 127.0.0.1`,
      );
    }
    const routes: ApiRoutes[] = [healthRoutes(() => checkHealth({ dataSource, state, telegram: telegramHealth, heartbeatEveryMs: config.settings.heartbeat.everyMs, storage, now })), ...features.flatMap((f) => f.routes ?? [])];
    const api = await startApiServer({
      host: config.settings.api.host,
      port: config.settings.api.port,
      token: apiToken,
      logger: log,
      routes,
    });
    teardown.push(() => api.close());

    // Jobs: each feature's start step (the start notice), then every feature's jobs.
    for (const feature of features) await feature.started?.();
    await scheduler.start(features.flatMap((f) => f.jobs ?? []));
    await audit.record({ kind: "monitor.started", message: "Gaia started", details: { pid: process.pid, mode: mode.kind } });
    log.info({ mode: mode.kind, home: config.paths.home, api: `${config.settings.api.host}:${api.port}` }, "gaia started");

    let stopping: Promise<void> | undefined;
    return {
      stopped,
      stop: () =>
        (stopping ??= (async () => {
          log.info("stopping");
          await audit.record({ kind: "monitor.stopped", message: "Gaia stopped" }).catch(() => undefined);
          await runTeardown(teardown, log);
        })()),
    };
  } catch (error) {
    await runTeardown(teardown, logger);
    throw error;
  }
}

/**
 * Every feature of the monitor, in order. Each `wire…` function lives in `cli/wiring/` and builds
 * its domain services from the core ones.
 */
function wireFeatures(core: CoreServices): FeatureWiring[] {
  // The probe job publishes here; /status, /top and GET /v1/status read it.
  const latest = new LatestSnapshot();
  const monitoring = wireMonitoring(core, { latest });
  const rotation = wireRotation(core, { outbox: monitoring.outbox });
  return [
    monitoring,
    wireApprovals(core),
    wireChat(core, { latest, rotation: rotation.view }),
    wireTasks(core, { outbox: monitoring.outbox }),
    rotation,
  ];
}

/** How long start-up waits for gaia.db's lock when another process holds it. */
const STARTUP_LOCK_WAIT_MS = 10_000;

/**
 * Opens gaia.db for the monitor. A damaged file, a lock another process keeps, or a full disk
 * stop the start with a DatabaseProblem that says what is wrong and what to do; a lock is
 * first waited for (asynchronously) a few seconds, with a log line naming who holds it.
 */
async function openGaiaDatabase(config: Config, storage: StorageHealth, log: Logger) {
  const target = databaseTarget(config.paths, config.env);
  const file = config.paths.database;
  try {
    let lockReportedAt = 0;
    return await openDatabase(target, {
      onOutcome: (error) => {
        storage.observe(error);
        // A lock held past the wait: name who holds it, at most once a minute.
        if (error !== undefined && databaseTrouble(error) === "locked" && Date.now() - lockReportedAt > 60_000) {
          lockReportedAt = Date.now();
          log.warn({ holders: findDatabaseHolders(file) }, "gaia.db is locked by another process: a write waited and gave up (tried again on the next run); close or stop the program holding it");
        }
      },
      startupLockWaitMs: STARTUP_LOCK_WAIT_MS,
      onLockedAtStart: () =>
        log.warn({ holders: findDatabaseHolders(file), waitMs: STARTUP_LOCK_WAIT_MS }, "gaia.db is locked by another process; waiting for it"),
    });
  } catch (error) {
    if (target.kind !== "sqlite") throw error;
    throw explainDatabaseError(error, { databaseFile: file, backupFolder: config.settings.backup.folder }) ?? error;
  }
}

/** What `gaia start` prints when Telegram refuses the token (exit 2). */
const TOKEN_REFUSED =
  ".private/.env TELEGRAM_BOT_TOKEN: Telegram refused this token (401 Unauthorized); copy it again from @BotFather (/mybots → API Token)";

/** How long start-up waits for the first long poll before it goes on without it. */
const FIRST_POLL_WAIT_MS = 5000;
/** Time for the poll's request to leave the process before the loading of more code blocks the event loop. */
const POLL_OUT_MS = 50;

/**
 * Settles shortly after the first getUpdates is sent; at once when a call to Telegram fails (out
 * of reach: nothing is to wait for, the API and the jobs start without it, as polling retries);
 * and after FIRST_POLL_WAIT_MS at the latest.
 */
function firstLongPoll(bot: Bot<GaiaContext>): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (afterMs: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(giveUp);
      setTimeout(resolve, afterMs);
    };
    const giveUp = setTimeout(() => settle(0), FIRST_POLL_WAIT_MS);
    bot.api.config.use(async (prev, method, payload, signal) => {
      if (method === "getUpdates") settle(POLL_OUT_MS);
      try {
        return await prev(method, payload, signal);
      } catch (error) {
        settle(0);
        throw error;
      }
    });
  });
}

function startConsole(bot: Bot<GaiaContext>, io: CliIo, config: Config, onClose: () => void): ConsoleChat {
  const chat = new ConsoleChat({
    input: io.stdin,
    output: io.stdout,
    colours: Boolean(io.stdout.isTTY) && !io.processEnv.NO_COLOR,
    userId: config.settings.telegram.admins[0],
  });
  bot.api.config.use(chat.transformer());
  chat.say("Gaia Monitor is running in console mode: alerts print here, and you can type the chat commands (/help).");
  if (config.usingDefaults) {
    chat.say("Watching this host with the defaults. Next: copy gaia.example.yml to gaia.yml to name your services,");
    chat.say("and put TELEGRAM_BOT_TOKEN in .private/.env (see .private.example/.env) to get alerts on your phone.");
  } else if (!config.env.telegramBotToken) {
    chat.say("No TELEGRAM_BOT_TOKEN: put it in .private/.env (see .private.example/.env) to get alerts on your phone.");
  }
  chat.attach(bot, onClose);
  return chat;
}


async function runTeardown(steps: (() => Promise<void> | void)[], logger?: Logger): Promise<void> {
  for (const step of steps.reverse()) {
    try {
      await step();
    } catch (error) {
      logger?.warn({ err: error }, "a shutdown step failed");
    }
  }
}
