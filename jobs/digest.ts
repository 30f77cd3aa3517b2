import type { DataSource } from "typeorm";
import type { Logger } from "pino";
import type { Outbox } from "../alerts/outbox.js";
import { collectDigest } from "../queries/daily-digest.js";

/**
 * The daily digest at `digest:`'s cron time: the last day as one notice in the outbox, or nothing
 * when the day was quiet (no incident, failed run or approval) unless `always` asks for it.
 */
export function digestJob(options: { dataSource: DataSource; outbox: Outbox; always: boolean; logger: Logger; now: () => Date }): () => Promise<void> {
  return async () => {
    const { quiet, ...digest } = await collectDigest(options.dataSource, options.now());
    if (quiet && !options.always) {
      options.logger.info("digest: a quiet day, nothing sent");
      return;
    }
    await options.outbox.enqueue({ kind: "notice", payload: { title: "Daily digest", digest, standalone: true } });
  };
}
