import { createTask, type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { everyToCron } from "./every-to-cron.js";
import type { Job } from "./job.js";

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
 * node-cron with what a long-running monitor needs around it: a run never overlaps the previous
 * run of the same job, a failing run is logged and counted without stopping the schedule, and
 * `stop()` waits for the runs in flight so the database can be closed after it. Features declare
 * their jobs as data (`Job`); the composition root starts them all at once with `start`.
 */
export class Scheduler {
  private readonly jobs = new Map<string, ScheduledJob>();
  /** Jobs asked to run before `start`: they run as soon as it has scheduled them. */
  private readonly earlyRequests = new Set<string>();
  private started = false;
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  /**
   * Schedules every job on its period, runs the ones asked for meanwhile (`runSoon`), then runs the
   * `atStart` jobs once each in the order given: each `true` one awaited before the next, each
   * `"in background"` one started without waiting.
   */
  async start(jobs: readonly Job[]): Promise<void> {
    if (this.started) throw new Error("the scheduler is already started");
    const scheduled = jobs.map((job) => this.schedule(job));
    this.started = true;
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
    for (const job of this.jobs.values()) job.stop?.();
    await Promise.allSettled([...this.jobs.values()].map((job) => job.inFlight));
  }

  /** Adds a job with a cron expression, or a period (cron when it has an exact cron form, else a timer). */
  private schedule({ name, every, run }: Job): ScheduledJob {
    if (this.jobs.has(name)) throw new Error(`job ${name} is scheduled twice`);
    const job: ScheduledJob = { name, run, rerunRequested: false, stats: { runs: 0, failures: 0, skippedOverlaps: 0, lastDurationMs: 0 } };
    this.jobs.set(name, job);
    const expression = typeof every === "string" ? every : everyToCron(every);
    if (expression) {
      job.stop = this.startCron(job, expression);
    } else {
      const timer = setInterval(() => void this.trigger(job), every as number);
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
    void task.start();
    return () => void task.stop();
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
