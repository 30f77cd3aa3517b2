const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One timer for a job's next run, asked for by the job itself (the delivery's next retry, an
 * approval's expiry): an earlier request replaces a later one; `cancel()` on stop.
 */
export class NextRun {
  private timer?: NodeJS.Timeout;
  private at = Number.POSITIVE_INFINITY;

  constructor(private readonly run: () => void) {}

  /** Runs after `requestedMs`, unless a run is already set for sooner. */
  in(requestedMs: number): void {
    // Node fires a delay past 2^31 - 1 ms after 1 ms: a far expiry would spin the job. The job's own
    // period runs it long before then anyway.
    const delayMs = Math.min(Math.max(0, requestedMs), MAX_TIMER_MS);
    const at = Date.now() + delayMs;
    if (this.timer && at >= this.at) return;
    this.cancel();
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = Number.POSITIVE_INFINITY;
      this.run();
    }, delayMs);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
  }
}
