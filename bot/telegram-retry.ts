/**
 * Bounded retries of transient failures (no answer, a dropped connection, a 5xx) for the calls
 * that have no retry of their own: command replies, button answers, approval messages and
 * edits, the command menu. A one-second network blip then costs a second, not a lost answer.
 *
 * Calls that bring their own AbortSignal are left alone: they manage retries themselves and must
 * know what happened to each attempt (the long poll retries by itself; the outbox records every
 * attempt, so that a repeat is marked). Rate limits (429) are the auto-retry plugin's.
 */
import type { Transformer } from "grammy";
import { HttpError } from "grammy";

export interface RetryOptions {
  /** Pauses before each retry; their count is the number of retries (default 1 s, then 3 s). */
  delaysMs?: readonly number[];
  /** Ends the pauses at once (gaia is stopping). */
  closing?: AbortSignal;
}

/** Creates the transformer; see the file comment. */
export function retryTransientErrors(options: RetryOptions = {}): Transformer {
  const delays = options.delaysMs ?? [1000, 3000];
  return (async (prev, method, payload, signal) => {
    if (signal !== undefined) return prev(method, payload, signal);
    for (let attempt = 0; ; attempt++) {
      let transient: boolean;
      try {
        const result = await prev(method, payload, signal);
        transient = !result.ok && (result.error_code ?? 0) >= 500;
        if (!transient || attempt >= delays.length) return result;
      } catch (error) {
        if (!(error instanceof HttpError) || attempt >= delays.length || options.closing?.aborted) throw error;
      }
      await pause(delays[attempt], options.closing);
      if (options.closing?.aborted) return prev(method, payload, signal);
    }
  }) as Transformer;
}

function pause(ms: number, closing: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    closing?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      closing?.removeEventListener("abort", done);
      resolve();
    }
  });
}
