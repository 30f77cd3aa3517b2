import { Composer, GrammyError } from "grammy";
import type { User } from "grammy/types";
import type { Logger } from "pino";
import type { ApprovalRequests } from "../../approvals/approval-requests.js";
import type { AuditTrail } from "../../entities/audit-trail.js";
import type { ApprovalMessages } from "../approval-messages.js";
import { APPROVAL_DATA, parseApprovalButton } from "../callback-data.js";
import type { GaiaContext } from "../context.js";
import { renderApprovalRequest, renderPendingApprovals, renderPressAnswer } from "../render/approval.js";

/** At most this many requests are repeated per /approvals, to keep the chat readable. */
const SHOWN_AT_MOST = 10;

export interface ApprovalsDeps {
  requests: ApprovalRequests;
  messages: ApprovalMessages;
  audit: AuditTrail;
  logger: Logger;
  /** This host's name, shown on every request. */
  host: string;
  now: () => Date;
}

/**
 * /approvals: the pending requests, oldest first, each repeated with its Approve and Deny
 * buttons (a press on a copy decides like a press on the original).
 *
 * The Approve and Deny buttons (`apr:y:<id>` / `apr:n:<id>`). Only admins get here (`bot/auth.ts`
 * refuses everyone else before). The first decision wins; any other press is answered with what
 * had happened and audited. Deciding is idempotent, so an update Telegram delivers again after an
 * unclean stop changes nothing.
 */
export function approvalsFeature(deps: ApprovalsDeps): Composer<GaiaContext> {
  const { requests, messages, audit, logger } = deps;
  const composer = new Composer<GaiaContext>();
  composer.command("approvals", async (ctx) => {
    const pending = await requests.pending();
    const shown = pending.slice(0, SHOWN_AT_MOST);
    await ctx.reply(renderPendingApprovals(pending.length, shown.length).text);
    for (const request of shown) {
      const rendered = renderApprovalRequest(request, { host: deps.host, now: deps.now() });
      await ctx.reply(rendered.text, { reply_markup: rendered.reply_markup });
    }
  });

  composer.callbackQuery(APPROVAL_DATA, async (ctx) => {
    const data = ctx.callbackQuery.data;
    const actor = `telegram:${ctx.from.id}`;
    const parsed = parseApprovalButton(data);
    if (!parsed) {
      await audit.record({ kind: "approval.press_refused", actor, message: "Refused a malformed approval button", details: { data: data.slice(0, 64) } });
      await answer(ctx, renderPressAnswer({ kind: "malformed" }), logger);
      return;
    }

    const outcome = await requests.decide(parsed.id, parsed.decision, { actor, label: deciderLabel(ctx.from) });
    await answer(ctx, renderPressAnswer(outcome), logger);
    if (outcome.kind !== "decided") {
      const status = outcome.kind === "already" ? outcome.request.status : "unknown";
      await audit.record({
        kind: "approval.press_refused",
        actor,
        subject: parsed.id,
        message: outcome.kind === "already" ? `Press on a request already ${status}; nothing changed` : "Press on an unknown approval request",
        details: { pressed: parsed.decision, status },
      });
    }

    const pressed = ctx.callbackQuery.message;
    const pressedHasButtons = Boolean(pressed && "reply_markup" in pressed && pressed.reply_markup?.inline_keyboard.length);
    if (outcome.kind === "unknown") {
      if (pressed && pressedHasButtons) await messages.removeButtons(pressed.chat.id, pressed.message_id);
      return;
    }
    await messages.showOutcomes();
    const { request } = outcome;
    const isRequestMessage = pressed?.chat.id === request.chatId && pressed?.message_id === request.messageId;
    if (pressed && pressedHasButtons && !isRequestMessage) await messages.showOutcomeOn(pressed.chat.id, pressed.message_id, request);
  });
  return composer;
}

/** "Alice Smith (424242)": the name people know and the id that cannot be faked. */
function deciderLabel(user: User): string {
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ").trim() || (user.username ? `@${user.username}` : "someone");
  return `${name.slice(0, 100)} (${user.id})`;
}

/**
 * Answers the press. A redelivered update's query was answered before the restart and Telegram
 * refuses a second answer ("query is too old"): that is expected, not an error.
 */
async function answer(ctx: GaiaContext, text: string, logger: Logger): Promise<void> {
  try {
    await ctx.answerCallbackQuery({ text });
  } catch (error) {
    if (!(error instanceof GrammyError && error.error_code === 400 && /query is too old|query id is invalid/i.test(error.description))) throw error;
    logger.debug({ err: error }, "callback query already answered or too old");
  }
}
