import { createTask, type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { everyToCron } from "./every-to-cron.js";

/** What the scheduler counts per job, for `/metrics` and the benchmark. */
export interface JobStats {
  runs: number;
  failures: number;
  skippedOverlaps: number;
  lastDurationMs: number;
  lastError?: string;
}

interface Job {
  name: string;
  run: () => Promise<void>;
  stats: JobStats;
  inFlight?: Promise<void>;
  rerunRequested: boolean;
  stop?: () => void;
}

/**
 * node-cron with what a long-running monitor needs around it: a run never overlaps the previous
 * run of the same job, a failing run is logged and counted without stopping the schedule, and
 * `stop()` waits for the runs in flight so the database can be closed after it.
 */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  /** Runs `run` every `everyMs` (cron when the period has an exact cron form, else a timer). */
  every(name: string, everyMs: number, run: () => Promise<void>): void {
    const job = this.add(name, run);
    const expression = everyToCron(everyMs);
    if (expression) {
      job.stop = this.startCron(job, expression);
    } else {
      const timer = setInterval(() => void this.trigger(job), everyMs);
      job.stop = () => clearInterval(timer);
    }
  }

  /** Runs `run` on a cron expression (5 fields, or 6 with seconds). */
  cron(name: string, expression: string, run: () => Promise<void>): void {
    const job = this.add(name, run);
    job.stop = this.startCron(job, expression);
  }

  /**
   * Runs a job now (e.g. delivery right after an alert was queued). When it is already running,
   * one more run follows the current one, so that nothing queued meanwhile waits a whole period.
   */
  runNow(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named ${name}`);
    if (job.inFlight) {
      job.rerunRequested = true;
      return job.inFlight;
    }
    return this.trigger(job);
  }

  /** Counters of every job. */
  stats(): Record<string, JobStats> {
    return Object.fromEntries([...this.jobs.values()].map((job) => [job.name, { ...job.stats }]));
  }

  /** Stops every schedule and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs.values()) job.stop?.();
    await Promise.allSettled([...this.jobs.values()].map((job) => job.inFlight));
  }

  private add(name: string, run: () => Promise<void>): Job {
    if (this.jobs.has(name)) throw new Error(`job ${name} is scheduled twice`);
    const job: Job = { name, run, rerunRequested: false, stats: { runs: 0, failures: 0, skippedOverlaps: 0, lastDurationMs: 0 } };
    this.jobs.set(name, job);
    return job;
  }

  private startCron(job: Job, expression: string): () => void {
    const task: ScheduledTask = createTask(expression, () => void this.trigger(job), { name: job.name, noOverlap: false });
    void task.start();
    return () => void task.stop();
  }

  private trigger(job: Job): Promise<void> {
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

  private async runOnce(job: Job): Promise<void> {
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
