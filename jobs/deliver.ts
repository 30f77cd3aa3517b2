import type { Logger } from "pino";
import type { HeldDelivery } from "../alerts/deliver-held.js";
import type { OutboxDelivery } from "../alerts/deliver-outbox.js";

/** Pause between two messages to one chat while a backlog drains (Telegram's pace: about one a second per chat). */
export const NEXT_MESSAGE_AFTER_MS = 1000;

/**
/**
 * Delivery of the outbox, run when it is told something is enqueued (the outbox knows: it kicks
 * the job after each write), and again when a run says when: after a backoff or a 429
 * (`waitingUntil`), or a second later while messages are left (`more`). Its own schedule is only a
 * slow safety sweep, so an idle monitor does not query the outbox every second. Alerts held in
 * memory (gaia.db could not be written) go first, every second while any are held; while gaia.db
 * cannot be written the outbox waits: a row sent but not marked as sent would be sent again.
 */
export function deliverJob(options: {
  delivery: OutboxDelivery;
  held?: HeldDelivery;
  storage?: { readonly full: boolean };
  logger: Logger;
  /** Asks for one more run after `delayMs` (the composition root keeps one timer for it). */
  runAgainIn: (delayMs: number) => void;
  now: () => Date;
}): () => Promise<void> {
  return async () => {
    await options.held?.run();
    if ((options.held?.pending ?? 0) > 0 || options.storage?.full) options.runAgainIn(NEXT_MESSAGE_AFTER_MS);
    if (options.storage?.full) return;
    const result = await options.delivery.run();
    if (result.dropped > 0 || result.muted > 0) {
      options.logger.info({ dropped: result.dropped, muted: result.muted }, "outbox rows settled without sending");
    }
    const wakeAt = result.waitingUntil ?? result.nextDueAt;
    if (wakeAt) options.runAgainIn(Math.max(0, wakeAt.getTime() - options.now().getTime()));
    else if (result.more) options.runAgainIn(NEXT_MESSAGE_AFTER_MS);
  };
}
