/**
 * Gaia's link to Telegram, in the background, so that nothing else waits for it: start-up does
 * not (the API, the jobs and the probe run while getMe hangs), and neither does polling wait for
 * a reply. It asks who the bot is until Telegram answers, registers the command menu, then long
 * polls with grammY's runner.
 *
 * Why the runner and not `bot.start()`: `bot.start()` handles a batch of updates one at a time
 * and fetches the next batch only after the last handler finished, so one reply waiting on a
 * dead connection stalls every command and button behind it. The runner hands each update to
 * its handler and keeps polling; `sequentialize` (bot/bot.ts) keeps the updates of one chat in
 * order, as an admin typing two commands expects.
 */
import { run, type RunnerHandle } from "@grammyjs/runner";
import type { Bot, Transformer } from "grammy";
import type { Logger } from "pino";
import type { GaiaContext } from "./context.js";
import { LONG_POLL_SECONDS } from "./telegram-deadlines.js";
import { classifyTelegramError, isUnauthorized } from "./telegram-errors.js";

/** Pause between two getMe attempts while Telegram is out of reach (each has its own deadline). */
const CONNECT_RETRY_MS = 3_000;
/** Pause after a failed long poll (grammY's `bot.start()` waits the same). */
const POLL_RETRY_MS = 3_000;
/** On stop: how long handlers in flight may finish, and how long confirming the offset may take. */
const STOP_HANDLERS_MS = 2_000;
const CONFIRM_OFFSET_MS = 2_000;

export interface PollingOptions {
  bot: Bot<GaiaContext>;
  logger: Logger;
  allowedUpdates: ("message" | "callback_query")[];
  /** Runs once Telegram answered getMe (register the command menu); its failure is logged. */
  onConnected(): Promise<void>;
  /** Polling cannot go on: Telegram refused the token (401) or another bot polls (409). */
  onFatal(error: unknown): void;
}

/** See the file comment. `start()` returns at once; `stop()` ends polling within a few seconds. */
export class TelegramPolling {
  private runner?: RunnerHandle;
  private readonly stopping = new AbortController();
  /** The newest update fetched, to confirm it to Telegram on stop (as `bot.stop()` does). */
  private lastUpdateId?: number;
  private pollFailedSince?: number;

  constructor(private readonly options: PollingOptions) {
    options.bot.api.config.use(this.watchPolls());
  }

  /** Connects and polls in the background. */
  start(): void {
    // Once stopping, a call cut short is no failure to report (and the log may be closed).
    void this.connect().catch((error: unknown) => {
      if (!this.stopping.signal.aborted) this.options.onFatal(error);
    });
  }

  /** Stops polling, lets handlers in flight finish briefly, and confirms the updates fetched. */
  async stop(): Promise<void> {
    this.stopping.abort();
    const runner = this.runner;
    if (!runner) return;
    await runner.stop();
    const deadline = Date.now() + STOP_HANDLERS_MS;
    while (runner.size() > 0 && Date.now() < deadline) await delay(50);
    if (this.lastUpdateId === undefined) return;
    // Without this, the last batch would be handled again after a restart.
    await this.options.bot.api
      .getUpdates({ offset: this.lastUpdateId + 1, limit: 1, timeout: 0 }, AbortSignal.timeout(CONFIRM_OFFSET_MS) as Parameters<typeof this.options.bot.api.getUpdates>[1])
      .catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { bot, logger } = this.options;
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        bot.botInfo = await bot.api.getMe(this.stopping.signal as Parameters<typeof bot.api.getMe>[0]);
        if (attempt > 1 && !this.stopping.signal.aborted) logger.info({ attempts: attempt }, "Telegram answers again; connected");
        break;
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        if (isUnauthorized(error) || classifyTelegramError(error) === undefined) throw error;
        if (attempt === 1) logger.warn({ err: error }, "cannot reach Telegram; starting without it and retrying in the background");
        await delay(CONNECT_RETRY_MS, this.stopping.signal);
      }
    }
    if (this.stopping.signal.aborted) return;
    // Alongside the first long poll, not before it: the command menu is a few round trips to
    // Telegram that the bot's users need not wait for.
    void this.options.onConnected().catch((error: unknown) => {
      if (!this.stopping.signal.aborted) logger.warn({ err: error }, "could not register the command menu");
    });
    this.runner = run(bot, {
      runner: {
        fetch: { timeout: LONG_POLL_SECONDS, allowed_updates: this.options.allowedUpdates },
        retryInterval: POLL_RETRY_MS,
        maxRetryTime: Number.POSITIVE_INFINITY, // a watchdog never gives up on Telegram
        silent: true, // failures are logged once per outage by watchPolls(), not on every retry
      },
    });
    logger.info({ bot: bot.botInfo.username }, "long polling Telegram");
    await this.runner.task();
  }

  /** Notes the newest update fetched, and logs when polling starts failing and when it recovers. */
  private watchPolls(): Transformer {
    return (async (prev, method, payload, signal) => {
      if (method !== "getUpdates") return prev(method, payload, signal);
      try {
        const result = await prev(method, payload, signal);
        if (result.ok) {
          const updates = result.result as { update_id: number }[];
          for (const update of updates) this.lastUpdateId = Math.max(this.lastUpdateId ?? 0, update.update_id);
          if (this.pollFailedSince !== undefined) {
            this.options.logger.info({ downForMs: Date.now() - this.pollFailedSince }, "Telegram answers again; polling resumed");
            this.pollFailedSince = undefined;
          }
        }
        return result;
      } catch (error) {
        if (!this.stopping.signal.aborted && !signal?.aborted && this.pollFailedSince === undefined) {
          this.pollFailedSince = Date.now();
          this.options.logger.warn({ err: error }, `polling Telegram failed; retrying every ${POLL_RETRY_MS / 1000} s`);
        }
        throw error;
      }
    }) as Transformer;
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
