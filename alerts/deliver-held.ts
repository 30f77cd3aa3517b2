import type { Logger } from "pino";
import { DeliveryRateLimited, DeliveryRefused, type AlertSender } from "./deliver-outbox.js";
import type { HeldAlerts } from "./held-alerts.js";

export interface HeldDeliveryOptions {
  held: HeldAlerts;
  send: AlertSender;
  /** Where held alerts go (`telegram.chat`). */
  chatId: number;
  logger: Logger;
  now: () => Date;
  /** Deadline of one attempt (default 20 s). */
  attemptTimeoutMs?: number;
  /** Items per message (default 10: held items skip the outbox's grouping by length). */
  maxItemsPerMessage?: number;
}

/**
 * Sends the alerts held in memory (see held-alerts.ts) straight to Telegram, oldest first, several
 * per message, with the outbox's rules for Telegram's answers but nothing written to gaia.db: a
 * network error backs off (1 s doubling to 5 s), a 429 waits its retry_after, and a message
 * refused for good is retried item by item so that only the culprit is dropped.
 */
export class HeldDelivery {
  private blockedUntil = 0;
  private failures = 0;
  private oneByOne = false;

  constructor(private readonly options: HeldDeliveryOptions) {}

  /** How many alerts are held in memory, waiting to be sent. */
  get pending(): number {
    return this.options.held.size;
  }

  /** Sends what is held, until it is all sent or an attempt fails; returns how many items were sent. */
  async run(): Promise<number> {
    const { held, logger } = this.options;
    let sent = 0;
    while (held.size > 0 && this.options.now().getTime() >= this.blockedUntil) {
      const items = held.peek(this.oneByOne ? 1 : (this.options.maxItemsPerMessage ?? 10));
      try {
        const { itemsShown } = await this.options.send({ chatId: this.options.chatId, items }, AbortSignal.timeout(this.options.attemptTimeoutMs ?? 20_000));
        // Only what the message showed is done with; the rest goes in the next message.
        const shown = Math.max(1, itemsShown ?? items.length);
        held.remove(shown);
        sent += shown;
        this.failures = 0;
        logger.info({ items: shown, left: held.size }, "sent alerts held in memory (gaia.db cannot be written)");
      } catch (error) {
        const now = this.options.now().getTime();
        if (error instanceof DeliveryRefused) {
          if (items.length > 1) {
            this.oneByOne = true;
            continue;
          }
          held.remove(1);
          logger.error({ error: error.description }, "Telegram refused an alert held in memory for good; dropped it");
          continue;
        }
        if (error instanceof DeliveryRateLimited) {
          this.blockedUntil = now + error.retryAfterMs;
        } else {
          this.failures++;
          this.blockedUntil = now + Math.min(5000, 1000 * 2 ** (this.failures - 1));
        }
        logger.warn({ err: error, left: held.size }, "could not send alerts held in memory; will retry");
        break;
      }
    }
    if (held.size === 0) this.oneByOne = false;
    return sent;
  }
}
