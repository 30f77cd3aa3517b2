import type { Logger } from "pino";
import { LAST_HEARTBEAT_KEY, type StateStore } from "../entities/state-store.js";

export interface HeartbeatOptions {
  state: StateStore;
  logger: Logger;
  url?: string;
  now: () => Date;
  fetch?: typeof fetch;
  /** How long a ping of the dead man's switch may take. */
  pingTimeoutMs?: number;
}

/**
 * One beat: record it in gaia.db, then GET the dead man's switch URL when one is set. A failing
 * ping is logged, never fatal: the switch itself will notice the silence. A beat gaia.db cannot
 * record still pings (the monitor is alive), and then fails the job.
 */
export function heartbeatJob(options: HeartbeatOptions): () => Promise<void> {
  const doFetch = options.fetch ?? fetch;
  return async () => {
    const at = options.now();
    // The monitor is alive even when gaia.db cannot record it (a full disk): ping anyway, then fail.
    const stored = await options.state.set(LAST_HEARTBEAT_KEY, at.toISOString()).then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    if (options.url) {
      try {
        const response = await doFetch(options.url, { signal: AbortSignal.timeout(options.pingTimeoutMs ?? 10_000) });
        if (!response.ok) options.logger.warn({ status: response.status }, "heartbeat ping answered with an error status");
      } catch (error) {
        options.logger.warn({ err: error }, "heartbeat ping failed");
      }
    }
    if (stored) throw stored.error;
  };
}
