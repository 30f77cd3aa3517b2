import { createTask, setLogger as setCronLogger, type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { MAX_TIMER_MS } from "../config/duration-bounds.js";
import { formatDuration } from "../config/durations.js";
import type { Job } from "./job.js";

/** How often the wall clock is compared with the monotonic one, and what difference is a jump. */
const CLOCK_CHECK_EVERY_MS = 5_000;
const CLOCK_JUMP_MS = 5_000;
/** Missed cron slots arriving within this long of each other are one jump, logged once. */
const MISSED_SLOTS_SETTLE_MS = 1_000;

/** What the scheduler counts per job, for `/metrics` and the benchmark. */
export interface JobStats {
  runs: number;
  failures: number;
  skippedOverlaps: number;
  lastDurationMs: number;
  lastError?: string;
}

interface ScheduledJob {
  name: string;
  run: () => Promise<void>;
  stats: JobStats;
  inFlight?: Promise<void>;
  rerunRequested: boolean;
  stop?: () => void;
}

/**
 * The jobs' timing, with what a long-running monitor needs around it: a run never overlaps the
 * previous run of the same job, a failing run is logged and counted without stopping the schedule,
 * and `stop()` waits for the runs in flight so the database can be closed after it. Features
 * declare their jobs as data (`Job`); the composition root starts them all at once with `start`.
 *
 * Clock jumps and suspend (a Raspberry Pi without a real-time clock stepped by NTP, a laptop
 * lid): jobs with a period run on Node's monotonic timers, so a jump neither fires a burst of
 * runs nor stops them until the clock catches up; they go on at their pace. Jobs with a cron
 * expression follow the wall clock through node-cron, which skips the slots a jump passed over:
 * they are logged once per jump through pino (not one stderr line per slot), and so is the jump.
 */
export class Scheduler {
  private readonly jobs = new Map<string, ScheduledJob>();
  /** Jobs asked to run before `start`: they run as soon as it has scheduled them. */
  private readonly earlyRequests = new Set<string>();
  private started = false;
  private stopped = false;

  private readonly missedSlots = new Map<string, { count: number; first: Date; last: Date }>();
  private missedSlotsTimer?: NodeJS.Timeout;
  private clockWatch?: NodeJS.Timeout;

  constructor(private readonly logger: Logger) {
    // node-cron's own messages go through pino too, never as bare lines on stderr.
    setCronLogger({
      info: (message) => logger.debug({ source: "node-cron" }, message),
      warn: (message) => logger.warn({ source: "node-cron" }, message),
      error: (message, err) => logger.error({ source: "node-cron", err: err ?? message }, typeof message === "string" ? message : "node-cron error"),
      debug: (message) => logger.debug({ source: "node-cron" }, String(message)),
    });
  }

  /**
   * Schedules every job on its period, runs the ones asked for meanwhile (`runSoon`), then runs the
   * `atStart` jobs once each in the order given: each `true` one awaited before the next, each
   * `"in background"` one started without waiting.
   */
  async start(jobs: readonly Job[]): Promise<void> {
    if (this.started) throw new Error("the scheduler is already started");
    const scheduled = jobs.map((job) => this.schedule(job));
    this.started = true;
    this.watchClock();
    for (const name of this.earlyRequests) this.runSoon(name);
    this.earlyRequests.clear();
    for (const [i, job] of jobs.entries()) {
      if (job.atStart === true) await this.runNow(scheduled[i]);
      else if (job.atStart === "in background") void this.runNow(scheduled[i]);
    }
  }

  /**
   * Asks for a run as soon as possible (e.g. delivery right after an alert was queued), without
   * waiting for it. When the job is running, one more run follows the current one, so that nothing
   * queued meanwhile waits a whole period. Before `start`, the run is remembered until then.
   */
  runSoon(name: string): void {
    if (!this.started) {
      this.earlyRequests.add(name);
      return;
    }
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named ${name}`);
    void this.runNow(job);
  }

  /** Counters of every job. */
  stats(): Record<string, JobStats> {
    return Object.fromEntries([...this.jobs.values()].map((job) => [job.name, { ...job.stats }]));
  }

  /** Stops every schedule and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.clockWatch);
    clearTimeout(this.missedSlotsTimer);
    this.reportMissedSlots();
    for (const job of this.jobs.values()) job.stop?.();
    await Promise.allSettled([...this.jobs.values()].map((job) => job.inFlight));
  }

  /** Adds a job with a cron expression (wall clock), or a period (a monotonic timer). */
  private schedule({ name, every, run }: Job): ScheduledJob {
    if (this.jobs.has(name)) throw new Error(`job ${name} is scheduled twice`);
    const job: ScheduledJob = { name, run, rerunRequested: false, stats: { runs: 0, failures: 0, skippedOverlaps: 0, lastDurationMs: 0 } };
    this.jobs.set(name, job);
    if (typeof every === "string") {
      job.stop = this.startCron(job, every);
    } else {
      // Node fires a longer delay after 1 ms; gaia.yml's bounds keep every period well below it.
      if (!(every > 0 && every <= MAX_TIMER_MS)) throw new Error(`job ${name}: a period of ${every} ms cannot be timed (1 ms to ${MAX_TIMER_MS} ms)`);
      const timer = setInterval(() => void this.trigger(job), every);
      job.stop = () => clearInterval(timer);
    }
    return job;
  }

  /** Runs a job now; when it is running, one more run follows the current one. */
  private runNow(job: ScheduledJob): Promise<void> {
    if (job.inFlight) {
      job.rerunRequested = true;
      return job.inFlight;
    }
    return this.trigger(job);
  }

  private startCron(job: ScheduledJob, expression: string): () => void {
    const task: ScheduledTask = createTask(expression, () => void this.trigger(job), { name: job.name, noOverlap: false });
    // With a listener, node-cron no longer prints a line per missed slot; they are counted here.
    task.on("execution:missed", (context: { date: Date }) => this.slotMissed(job.name, context.date));
    void task.start();
    return () => void task.stop();
  }

  /** Counts a cron slot skipped by a clock jump or a suspend; the burst is logged once when it settles. */
  private slotMissed(name: string, slot: Date): void {
    const seen = this.missedSlots.get(name);
    if (seen) {
      seen.count++;
      if (slot < seen.first) seen.first = slot;
      if (slot > seen.last) seen.last = slot;
    } else {
      this.missedSlots.set(name, { count: 1, first: slot, last: slot });
    }
    clearTimeout(this.missedSlotsTimer);
    this.missedSlotsTimer = setTimeout(() => this.reportMissedSlots(), MISSED_SLOTS_SETTLE_MS);
    this.missedSlotsTimer.unref();
  }

  private reportMissedSlots(): void {
    for (const [job, { count, first, last }] of this.missedSlots) {
      this.logger.warn(
        { job, missedRuns: count, from: first.toISOString(), to: last.toISOString() },
        `job ${job} skipped ${count} scheduled run${count === 1 ? "" : "s"} (the clock jumped or the host was suspended); it goes on from the next slot`,
      );
    }
    this.missedSlots.clear();
  }

  /**
   * Compares the wall clock with the monotonic one every few seconds and logs a jump once: an NTP
   * step, a manual change, or a suspend (the monotonic clock stands still while suspended).
   */
  private watchClock(): void {
    let wall = Date.now();
    let mono = performance.now();
    this.clockWatch = setInterval(() => {
      const [wallNow, monoNow] = [Date.now(), performance.now()];
      const drift = wallNow - wall - (monoNow - mono);
      [wall, mono] = [wallNow, monoNow];
      if (Math.abs(drift) < CLOCK_JUMP_MS) return;
      this.logger.warn(
        { clockJumpMs: Math.round(drift), at: new Date(wallNow).toISOString() },
        `the wall clock jumped ${drift > 0 ? "forward" : "back"} by ${formatDuration(Math.abs(drift))} (a suspend or an NTP step); periodic jobs go on at their pace, cron jobs from their next slot`,
      );
    }, CLOCK_CHECK_EVERY_MS);
    this.clockWatch.unref();
  }

  private trigger(job: ScheduledJob): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (job.inFlight) {
      job.stats.skippedOverlaps++;
      return job.inFlight;
    }
    job.inFlight = this.runOnce(job).finally(() => {
      job.inFlight = undefined;
      if (job.rerunRequested && !this.stopped) {
        job.rerunRequested = false;
        void this.trigger(job);
      }
    });
    return job.inFlight;
  }

  private async runOnce(job: ScheduledJob): Promise<void> {
    const started = performance.now();
    try {
      await job.run();
    } catch (error) {
      job.stats.failures++;
      job.stats.lastError = error instanceof Error ? error.message : String(error);
      this.logger.error({ job: job.name, err: error }, `job ${job.name} failed; it stays scheduled`);
    } finally {
      job.stats.runs++;
      job.stats.lastDurationMs = performance.now() - started;
    }
  }
}
