import type { Api } from "grammy";
import { DeliveryOutcomeUnknown, DeliveryRateLimited, DeliveryRefused, type AlertSender } from "../alerts/deliver-outbox.js";
import { renderDeliveryCounted } from "./render/alert.js";
import { classifyTelegramError, requestMayHaveArrived } from "./telegram-errors.js";

/** The longest retry_after the bot's auto-retry sleeps out by itself (its `maxDelaySeconds`). */
const AUTO_RETRY_MAX_DELAY_MS = 60_000;

/**
 * The outbox's sender: renders a planned message with `bot/render/alert.ts` and sends it through
 * the Bot API, translating Telegram's answers into what delivery understands: 429 → wait
 * `retry_after`, refused (4xx) → for good, anything else (network, 5xx, 401, deadline) → retry.
 * The reading of Telegram's answer is `classifyTelegramError`'s, as for polling and approvals.
 */
export function createAlertSender(api: Api, now: () => Date = () => new Date()): AlertSender {
  return async (message, signal) => {
    const { rendered, itemsShown } = renderDeliveryCounted(message, now());
    try {
      const sent = await api.sendMessage(
        message.chatId,
        rendered.text,
        {
          link_preview_options: { is_disabled: true },
          ...(rendered.reply_markup ? { reply_markup: rendered.reply_markup } : {}),
        },
        // grammY types its signal with the abort-controller polyfill; Node's own is the same at run time.
        signal as Parameters<Api["sendMessage"]>[3],
      );
      return { messageId: sent.message_id, itemsShown };
    } catch (error) {
      // The bot's auto-retry (bot/bot.ts) sleeps out a 429's retry_after (up to 60 s) inside the
      // call; when the attempt's deadline ends that sleep, Telegram is still owed the rest of it.
      if (signal.aborted && error instanceof Error && /waiting between retries/.test(error.message)) {
        throw new DeliveryRateLimited(AUTO_RETRY_MAX_DELAY_MS, "Too Many Requests: retry_after outlasted the attempt's deadline");
      }
      const failure = classifyTelegramError(error);
      if (failure?.kind === "rate-limited") throw new DeliveryRateLimited(failure.retryAfterMs, failure.description);
      if (failure?.kind === "refused") throw new DeliveryRefused(failure.description);
      if (failure?.kind === "transient" && requestMayHaveArrived(error)) {
        throw new DeliveryOutcomeUnknown(error instanceof Error ? error.message : String(error));
      }
      throw error;
    }
  };
}
