import type { MiddlewareFn } from "grammy";
import type { AuditTrail } from "../entities/audit-trail.js";
import type { GaiaContext } from "./context.js";

const NOTICE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Lets only `telegram.admins` through, judged by the id of who sent the message or pressed the
 * button (never by what a callback's data says). Anyone else is told once an hour that they are
 * not authorized, sees no data, and every attempt is audited.
 */
export function adminsOnly(options: { admins: readonly number[]; audit: AuditTrail; now?: () => number }): MiddlewareFn<GaiaContext> {
  const admins = new Set(options.admins);
  const now = options.now ?? Date.now;
  const lastNotice = new Map<number, number>();
  return async (ctx, next) => {
    const userId = ctx.from?.id;
    if (userId !== undefined && admins.has(userId)) return next();
    if (userId === undefined) return; // channel posts and service updates carry no person
    await options.audit.record({
      kind: "auth.denied",
      actor: `telegram:${userId}`,
      message: `Refused ${ctx.callbackQuery ? "a button press" : "a message"} from a user who is not an admin`,
      details: { chatId: ctx.chat?.id ?? null, username: ctx.from?.username ?? null },
    });
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({ text: "You are not authorized to use this bot." });
      return;
    }
    const last = lastNotice.get(userId) ?? -Infinity;
    if (now() - last >= NOTICE_INTERVAL_MS && ctx.chat) {
      lastNotice.set(userId, now());
      await ctx.reply("You are not authorized to use this bot.");
    }
  };
}
