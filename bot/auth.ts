import type { MiddlewareFn } from "grammy";
import type { AuditTrail } from "../entities/audit-trail.js";
import type { GaiaContext } from "./context.js";
import { CHAT_ANSWERS } from "./render/answers.js";

const HOUR_MS = 60 * 60 * 1000;
/** Audit rows per stranger per hour; beyond it attempts are counted into the next row, not lost. */
const AUDITS_PER_HOUR = 30;
/** Strangers remembered for the hourly notice; a flood of new ids must not grow memory forever. */
const MAX_REMEMBERED = 10_000;
/**
 * Replies to strangers per hour, all ids together: each new id earns one reply, so without a cap
 * a flood of fresh ids (bots, a leaked username) makes gaia send as many messages, spending its
 * Telegram rate limit on them ahead of the alerts.
 */
export const STRANGER_REPLIES_PER_HOUR = 20;

export interface AdminsOnlyOptions {
  admins: readonly number[];
  audit: AuditTrail;
  /**
   * The alert chat (`telegram.chat`). When set, admins are answered only there and in private
   * chats: in any other group, the bot's answers would show the host to that group's members.
   */
  alertChat?: number;
  now?: () => number;
  /** Default STRANGER_REPLIES_PER_HOUR. */
  strangerRepliesPerHour?: number;
}

interface Stranger {
  lastNotice: number;
  windowStart: number;
  audited: number;
  suppressed: number;
}

/**
 * Lets only `telegram.admins` through, judged by the id of who sent the message or pressed the
 * button (never by what a callback's data says), in private chats and in the alert chat.
 * Anyone else sees no data: a button press is answered "not authorized", a message gets that reply
 * at most once an hour (and at most 20 such replies go out an hour across all strangers; reaching
 * that cap is audited once), and every attempt is audited (at most 30 rows an hour per user, the
 * rest counted). In groups, only commands count as attempts: members chatting are not answered.
 */
export function adminsOnly(options: AdminsOnlyOptions): MiddlewareFn<GaiaContext> {
  const admins = new Set(options.admins);
  const now = options.now ?? Date.now;
  const strangers = new Map<number, Stranger>();
  const replyCap = options.strangerRepliesPerHour ?? STRANGER_REPLIES_PER_HOUR;
  const replies = { windowStart: -Infinity, sent: 0, capAudited: false };

  const remember = (userId: number, at: number): Stranger => {
    let entry = strangers.get(userId);
    if (!entry) {
      if (strangers.size >= MAX_REMEMBERED) {
        for (const [id, old] of strangers) if (at - Math.max(old.lastNotice, old.windowStart) >= HOUR_MS) strangers.delete(id);
        if (strangers.size >= MAX_REMEMBERED) strangers.delete(strangers.keys().next().value!);
      }
      entry = { lastNotice: -Infinity, windowStart: at, audited: 0, suppressed: 0 };
      strangers.set(userId, entry);
    }
    return entry;
  };

  return async (ctx, next) => {
    const userId = ctx.from?.id;
    if (userId === undefined) return; // channel posts and service updates carry no person
    const chat = ctx.chat;
    const privateChat = chat?.type === "private";
    const isAdmin = admins.has(userId);
    const rightChat = privateChat || options.alertChat === undefined || chat?.id === options.alertChat;
    if (isAdmin && rightChat) return next();

    const pressed = ctx.callbackQuery !== undefined;
    const command = ctx.message?.entities?.some((e) => e.type === "bot_command" && e.offset === 0) ?? false;
    if (!pressed && !privateChat && !command) return; // group chatter that is not addressed to gaia

    const at = now();
    const stranger = remember(userId, at);
    if (at - stranger.windowStart >= HOUR_MS) {
      stranger.windowStart = at;
      stranger.audited = 0;
    }
    if (stranger.audited < AUDITS_PER_HOUR) {
      stranger.audited++;
      const suppressed = stranger.suppressed;
      stranger.suppressed = 0;
      await options.audit.record({
        kind: "auth.denied",
        actor: `telegram:${userId}`,
        message: isAdmin
          ? `Refused ${pressed ? "a button press" : "a message"} from an admin in a chat that is not the alert chat`
          : `Refused ${pressed ? "a button press" : "a message"} from a user who is not an admin`,
        details: {
          chatId: chat?.id ?? null,
          chatType: chat?.type ?? null,
          username: ctx.from?.username ?? null,
          // The command only, never the text: a stranger's message may hold anything.
          ...(command ? { command: ctx.message!.text!.split(/[\s@]/)[0].slice(0, 33) } : {}),
          ...(suppressed ? { unauditedAttemptsBefore: suppressed } : {}),
        },
      });
    } else {
      stranger.suppressed++;
    }

    const notice = isAdmin ? CHAT_ANSWERS.wrongChat : CHAT_ANSWERS.notAuthorized;
    if (pressed) {
      await ctx.answerCallbackQuery({ text: notice });
      return;
    }
    if (at - stranger.lastNotice >= HOUR_MS && chat) {
      if (at - replies.windowStart >= HOUR_MS) Object.assign(replies, { windowStart: at, sent: 0, capAudited: false });
      if (replies.sent >= replyCap) {
        // Not told, so told once the hour is over if they write again; audited once per hour.
        if (!replies.capAudited) {
          replies.capAudited = true;
          await options.audit.record({
            kind: "auth.replies-capped",
            actor: `telegram:${userId}`,
            message: `Stopped replying to strangers until ${new Date(replies.windowStart + HOUR_MS).toISOString()}: ${replyCap} replies in an hour; their attempts are still refused and audited`,
            details: { limit: replyCap, windowStart: new Date(replies.windowStart).toISOString() },
          });
        }
        return;
      }
      replies.sent++;
      stranger.lastNotice = at;
      await ctx.reply(notice);
    }
  };
}
