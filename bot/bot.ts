import { Bot, Composer, GrammyError, type BotConfig } from "grammy";
import type { BotCommandScope } from "grammy/types";
import { autoRetry } from "@grammyjs/auto-retry";
import { sequentialize } from "@grammyjs/runner";
import type { Logger } from "pino";
import type { AuditTrail } from "../entities/audit-trail.js";
import { adminsOnly } from "./auth.js";
import { CLIENT_TIMEOUT_SECONDS, type TelegramDeadlines } from "./telegram-deadlines.js";
import { retryTransientErrors } from "./telegram-retry.js";
import { COMMANDS } from "./command-list.js";
import type { GaiaContext } from "./context.js";
import { htmlParseMode } from "./html-parse-mode.js";
import { databaseTrouble } from "../entities/database-trouble.js";
import { CHAT_ANSWERS } from "./render/answers.js";
import { renderUnknownCommand } from "./render/help.js";

export interface BotOptions {
  token: string;
  apiRoot: string;
  admins: readonly number[];
  /** `telegram.chat`: admins are answered there and in private chats only. */
  alertChat?: number;
  audit: AuditTrail;
  logger: Logger;
  /** The deadline of every Bot API call (bot/telegram-deadlines.ts); `abortAll()` on stop. */
  deadlines: TelegramDeadlines;
  /** Known bot identity (console mode), which skips getMe. */
  botInfo?: BotConfig<GaiaContext>["botInfo"];
}

/**
 * Builds gaia's grammY bot: a deadline on every call, every text sent as Telegram HTML
 * (bot/html-parse-mode.ts), retries of 429s with Telegram's retry_after and bounded retries of
 * transient failures, admins-only access and a `bot.catch` so that no handler error stops the
 * bot. Its handlers come with `installFeatures`, once the features (which need `bot.api` to
 * send) are built.
 */
export function createBot(options: BotOptions): Bot<GaiaContext> {
  const bot = new Bot<GaiaContext>(options.token, {
    client: { apiRoot: options.apiRoot, timeoutSeconds: CLIENT_TIMEOUT_SECONDS },
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
  });
  // The first transformer installed is the innermost: the deadline times each single attempt.
  bot.api.config.use(options.deadlines.transformer());
  // Rate limits: wait retry_after (up to 60 s). Network errors and 5xx are not this plugin's (it
  // would retry them without bound, in a doubling delay): see the next transformer.
  bot.api.config.use(
    autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60, rethrowInternalServerErrors: true, rethrowHttpErrors: true }),
  );
  bot.api.config.use(htmlParseMode());
  // Replies, button answers and edits survive a blip; polling and the outbox retry by themselves.
  bot.api.config.use(retryTransientErrors({ closing: options.deadlines.closingSignal }));
  // Updates are handled concurrently (bot/polling.ts), but those of one chat in order.
  bot.use(sequentialize((ctx: GaiaContext) => ctx.chat?.id.toString()));
  bot.use(adminsOnly({ admins: options.admins, audit: options.audit, alertChat: options.alertChat }));
  bot.catch(async (error) => {
    options.logger.error({ err: error.error, update: error.ctx.update.update_id }, "a chat handler failed");
    // The machine's trouble (a full disk, a lock held elsewhere) is said as such, not as a bug.
    const trouble = databaseTrouble(error.error);
    const said = trouble === "full" ? CHAT_ANSWERS.databaseFull : trouble === "locked" ? CHAT_ANSWERS.databaseLocked : undefined;
    if (error.ctx.callbackQuery) {
      await error.ctx.answerCallbackQuery({ text: said ?? CHAT_ANSWERS.failedPress }).catch(() => undefined);
    } else if (error.ctx.message && error.ctx.chat) {
      // A command that failed still gets an answer, so the admin is not left waiting.
      await error.ctx.reply(said ?? CHAT_ANSWERS.failedCommand).catch(() => undefined);
    }
  });
  return bot;
}

/**
 * Adds the features' handlers in order, then the fallbacks: a pointer to /help for unknown
 * commands and an answer for every callback query nobody handled.
 */
export function installFeatures(bot: Bot<GaiaContext>, features: readonly Composer<GaiaContext>[]): void {
  for (const feature of features) bot.use(feature);
  bot.on("message:text", async (ctx) => {
    if (ctx.message.text.startsWith("/")) {
      const command = ctx.message.text.split(/\s/)[0];
      // `/status@OtherBot` is meant for another bot in the same group: not ours to answer.
      const addressee = command.split("@")[1];
      if (addressee !== undefined && addressee.toLowerCase() !== ctx.me.username.toLowerCase()) return;
      await ctx.reply(renderUnknownCommand(command).text);
    }
  });
  bot.on("callback_query", (ctx) => ctx.answerCallbackQuery({ text: CHAT_ANSWERS.inactiveButton }));
}

/**
 * Registers the command menu for the admins only, so that strangers are not shown it (hiding is
 * not authorizing: every handler still checks): in each admin's private chat, and in a group alert
 * chat for each admin as a member of it (a `chat` scope would show it to every member). The
 * default menu is cleared, in case an earlier setup left one for everybody.
 */
export async function registerCommands(bot: Bot<GaiaContext>, admins: readonly number[], alertChat: number): Promise<void> {
  const commands = COMMANDS.map(({ command, description }) => ({ command, description: description.slice(0, 256) }));
  const scopes: BotCommandScope[] = [...new Set(admins)].map((admin) => ({ type: "chat", chat_id: admin }));
  if (alertChat < 0) scopes.push(...[...new Set(admins)].map((admin): BotCommandScope => ({ type: "chat_member", chat_id: alertChat, user_id: admin })));
  else if (!admins.includes(alertChat)) scopes.push({ type: "chat", chat_id: alertChat });
  const ignoreRefusal = (error: unknown) => {
    // A chat the bot was never started in ("chat not found") must not stop the monitor.
    if (!(error instanceof GrammyError)) throw error;
  };
  await bot.api.deleteMyCommands().catch(ignoreRefusal);
  for (const scope of scopes) await bot.api.setMyCommands(commands, { scope }).catch(ignoreRefusal);
}
