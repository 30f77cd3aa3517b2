import type { Logger } from "pino";
import type { OutboxDelivery } from "../alerts/deliver-outbox.js";

/**
 * Delivery of the outbox: runs every second (a cheap indexed query when nothing is due) and at
 * once when a row is queued, so alerts leave within moments and retries follow their backoff.
 */
export function deliverJob(options: { delivery: OutboxDelivery; logger: Logger }): () => Promise<void> {
  return async () => {
    const result = await options.delivery.run();
    if (result.dropped > 0 || result.muted > 0) {
      options.logger.info({ dropped: result.dropped, muted: result.muted }, "outbox rows settled without sending");
    }
  };
}
