import type { Api } from "grammy";
import type { Logger } from "pino";
import type { ApprovalRequests } from "../approvals/approval-requests.js";
import type { ApprovalRequest } from "../entities/approval-request.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { classifyTelegramError } from "./telegram-errors.js";
import { renderApprovalOutcome, renderApprovalRequest } from "./render/approval.js";

const REFUSED_RETRY_MS = 60_000;

export interface ApprovalMessagesOptions {
  requests: ApprovalRequests;
  api: Api;
  /** `telegram.chat`: where requests are posted. */
  chatId: number;
  /** This host's name, shown on every request. */
  host: string;
  audit: AuditTrail;
  logger: Logger;
  now: () => Date;
}

/**
 * The Telegram side of approval requests: posts the stored requests that have no message yet,
 * and edits the messages of decided or expired ones to show the outcome without buttons. Both
 * work from gaia.db, so a request stored while Telegram was down, or before a restart, is posted
 * (or edited) on a later run: nothing is lost.
 */
export class ApprovalMessages {
  /** After Telegram refused a post for good (e.g. "chat not found"), posts wait until then. */
  private refusedUntil = 0;

  constructor(private readonly options: ApprovalMessagesOptions) {}

  /**
   * Posts every pending request without a message, oldest first; stops early while Telegram is
   * unreachable. False when something is left to post (or to edit) on a later run.
   */
  async postUnposted(): Promise<boolean> {
    const { requests, api, chatId, host, audit, logger, now } = this.options;
    if (now().getTime() < this.refusedUntil) return false;
    for (const request of await requests.unposted()) {
      const rendered = renderApprovalRequest(request, { host, now: now() });
      let sent;
      try {
        sent = await api.sendMessage(chatId, rendered.text, { reply_markup: rendered.reply_markup });
      } catch (error) {
        if (isPassing(error)) {
          logger.warn({ err: error, approval: request.id }, "Telegram is unreachable; the approval request will be posted when it is back");
          return false;
        }
        if (!classifyTelegramError(error)) throw error;
        // A wrong telegram.chat or a bot removed from it: retrying every few seconds only fills the log.
        this.refusedUntil = now().getTime() + REFUSED_RETRY_MS;
        logger.error({ err: error, approval: request.id, chatId }, `Telegram refused the approval request for chat ${chatId}; check telegram.chat in gaia.yml and that the bot is in that chat (retrying in a minute)`);
        return false;
      }
      await requests.markPosted(request.id, sent.chat.id, sent.message_id);
      await audit.record({
        kind: "approval.posted",
        subject: request.id,
        message: `Posted the approval request to chat ${sent.chat.id}`,
        details: { chatId: sent.chat.id, messageId: sent.message_id },
      });
    }
    // A request may have expired while its message was on the way.
    return this.showOutcomes();
  }

  /**
   * Edits each decided or expired request's message to show the outcome (the buttons go away).
   * An edit that fails while Telegram is unreachable is retried on the next run; one Telegram
   * refuses for good (the message was deleted) is not. False when an edit is left for a later run.
   */
  async showOutcomes(): Promise<boolean> {
    const { requests, logger } = this.options;
    for (const request of await requests.outcomesToShow()) {
      if (!(await requests.claimOutcome(request.id))) continue; // another run is editing it
      try {
        await this.edit(request.chatId!, request.messageId!, request);
      } catch (error) {
        if (isPassing(error)) {
          await requests.releaseOutcome(request.id);
          logger.warn({ err: error, approval: request.id }, "Telegram is unreachable; the approval message will be edited when it is back");
          return false;
        }
        if (!classifyTelegramError(error)) throw error;
        logger.warn({ err: error, approval: request.id }, "Telegram refused to edit the approval message; leaving it as it is");
      }
    }
    return true;
  }

  /**
   * Shows a request's outcome on another message that carries its buttons (a copy sent by
   * /approvals). Best effort: the request's own message is what counts.
   */
  async showOutcomeOn(chatId: number, messageId: number, request: ApprovalRequest): Promise<void> {
    try {
      await this.edit(chatId, messageId, request);
    } catch (error) {
      if (!classifyTelegramError(error)) throw error;
      this.options.logger.info({ err: error, approval: request.id }, "could not update a copy of an approval message");
    }
  }

  /** Removes the buttons of a message whose request is gone (e.g. gaia.db was replaced). */
  async removeButtons(chatId: number, messageId: number): Promise<void> {
    try {
      await this.options.api.editMessageReplyMarkup(chatId, messageId);
    } catch (error) {
      if (!classifyTelegramError(error)) throw error;
      this.options.logger.info({ err: error, chatId, messageId }, "could not remove the buttons of an unknown approval request");
    }
  }

  private async edit(chatId: number, messageId: number, request: ApprovalRequest): Promise<void> {
    const rendered = renderApprovalOutcome(request, { host: this.options.host });
    await this.options.api.editMessageText(chatId, messageId, rendered.text);
  }
}

/** Failures that pass by themselves: no connection, a 5xx, or a rate limit that outlasted the retries. */
function isPassing(error: unknown): boolean {
  const kind = classifyTelegramError(error)?.kind;
  return kind === "transient" || kind === "rate-limited";
}
