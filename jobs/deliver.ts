import type { Logger } from "pino";
import type { HeldDelivery } from "../alerts/deliver-held.js";
import type { OutboxDelivery } from "../alerts/deliver-outbox.js";

/**
 * Delivery of the outbox: runs every second (a cheap indexed query when nothing is due) and at
 * once when a row is queued, so alerts leave within moments and retries follow their backoff.
 * Alerts held in memory (gaia.db could not be written) go first. While gaia.db cannot be written
 * the outbox waits: a row sent but not marked as sent would be sent again every second.
 */
export function deliverJob(options: { delivery: OutboxDelivery; held?: HeldDelivery; storage?: { readonly full: boolean }; logger: Logger }): () => Promise<void> {
  return async () => {
    await options.held?.run();
    if (options.storage?.full) return;
    const result = await options.delivery.run();
    if (result.dropped > 0 || result.muted > 0) {
      options.logger.info({ dropped: result.dropped, muted: result.muted }, "outbox rows settled without sending");
    }
  };
}
