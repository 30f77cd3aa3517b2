/**
 * A scheduled job as a feature declares it: the composition root hands every feature's jobs to
 * `Scheduler.start`, which runs each on its period and, for `atStart`, once when gaia starts.
 */
export interface Job {
  /** Unique among all jobs; names the job in logs and in `/metrics`. */
  name: string;
  /** How often: a period in milliseconds, or a cron expression (5 fields, or 6 with seconds). */
  every: number | string;
  run: () => Promise<void>;
  /**
   * Run once as soon as gaia has started (after the bot and the API are up), rather than only one
   * period later, in the order the features declare their jobs: `true` waits for it before the
   * next; `"in background"` starts it without holding up the start (a long backup).
   */
  atStart?: boolean | "in background";
}
