import type { ProcessSample, Snapshot, TopProcessesOrder } from "./snapshot.js";

/** What /top shows: the busiest processes of the whole host over a short, recent window. */
export interface TopView {
  /** When the second sample of the window was taken. */
  at: string;
  /** The window the CPU figures cover, in milliseconds. */
  windowMs: number;
  order: TopProcessesOrder;
  host: { cpuPercent: number; cores: number; memoryPercent: number; memoryUsedBytes: number; memoryTotalBytes: number };
  processes: ProcessSample[];
}

export interface TopSamplerOptions {
  /** A probe of its own (no services): its CPU figures are deltas since ITS previous sample. */
  sample(): Promise<Snapshot>;
  cores: number;
  /** Shortest window for CPU figures (default 1 s): shorter ones are noise. */
  minWindowMs?: number;
  /** A previous sample older than this (default 10 s) is stale: take a fresh baseline first. */
  maxBaselineAgeMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Samples the process table for /top like `top` does: CPU % is the share of one core each
 * process used between two samples a second or so apart, so a process that has burned a core
 * for the last few seconds shows close to 100%, whatever its lifetime average. Requests are
 * served one at a time, since each sample moves the probe's baseline.
 */
export class TopSampler {
  private lastSampleAt?: number;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly minWindowMs: number;
  private readonly maxBaselineAgeMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: TopSamplerOptions) {
    this.minWindowMs = options.minWindowMs ?? 1000;
    this.maxBaselineAgeMs = options.maxBaselineAgeMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The `count` busiest processes by `order`, over a fresh window. */
  view(order: TopProcessesOrder, count: number): Promise<TopView> {
    const result = this.queue.then(() => this.take(order, count));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async take(order: TopProcessesOrder, count: number): Promise<TopView> {
    let baselineAt = this.lastSampleAt;
    if (baselineAt === undefined || this.now() - baselineAt > this.maxBaselineAgeMs) {
      baselineAt = (await this.options.sample()).at.getTime();
      this.lastSampleAt = baselineAt;
    }
    const elapsed = this.now() - baselineAt;
    if (elapsed < this.minWindowMs) await this.sleep(this.minWindowMs - elapsed);
    const snapshot = await this.options.sample();
    this.lastSampleAt = snapshot.at.getTime();
    const { host } = snapshot;
    return {
      at: snapshot.at.toISOString(),
      windowMs: snapshot.at.getTime() - baselineAt,
      order,
      host: {
        cpuPercent: host.cpuPercent,
        cores: this.options.cores,
        memoryPercent: host.memoryPercent,
        memoryUsedBytes: host.memoryUsedBytes,
        memoryTotalBytes: host.memoryTotalBytes,
      },
      processes: snapshot.topProcesses(order, count),
    };
  }
}
