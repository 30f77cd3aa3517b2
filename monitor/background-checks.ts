/**
 * Checks that answer over the network (endpoints, the Docker Engine API) run here, in the
 * background, so that a probe cycle never waits for one: each check runs on its own schedule,
 * under its own deadline, at most one at a time (a hung endpoint holds one socket, never a pile),
 * and the probe reads the latest completed result with its age.
 *
 * A result too old, or a check still running past its deadline, reads as "no answer within its
 * deadline": a hung endpoint is alerted, never silently stale. Before a check's first answer (or
 * its deadline) the reading is "not checked yet", which says nothing either way.
 */

/** One check of one service. */
export interface BackgroundCheck<R> {
  /** The service's name; one check per name. */
  name: string;
  /** How long one run may take before it counts as no answer (the endpoint's `timeout`, the Docker API deadline). */
  deadlineMs: number;
  /** One run; it should settle by its deadline (a run that does not is read as no answer meanwhile). */
  run(): Promise<R>;
}

/** What the probe reads of a check at a moment. */
export type CheckReading<R> =
  /** No run has completed yet and the first one is still within its deadline. */
  | { kind: "unchecked" }
  /** The latest completed run's result; `completedAt` in ms since the epoch. */
  | { kind: "result"; result: R; completedAt: number; ageMs: number }
  /** No answer within the deadline: a run is past it, or the latest result is older than `staleAfterMs`. */
  | { kind: "no-answer"; deadlineMs: number; result?: R; completedAt?: number };

/** The clock and timers, injectable so the logic is tested without waiting. */
export interface CheckTimers {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Node's own; timers are unref'd, so a forgotten probe does not keep a process alive. The clock is
 * the monotonic one in epoch milliseconds: when the wall clock jumps (NTP after a power cut, a
 * manual date), a fresh result must not read as hours old (a false "no answer") nor a stale
 * one as fresh.
 */
export const realTimers: CheckTimers = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** How many periods past its deadline a result may be read before it counts as no answer. */
export const STALE_AFTER_PERIODS = 3;

interface CheckState<R> {
  check: BackgroundCheck<R>;
  /** ms since the epoch the run in flight started; undefined while none runs. */
  runningSince?: number;
  latest?: { result: R; completedAt: number };
  timer?: unknown;
}

/** Work done since creation, for tests and the benchmark. */
export interface BackgroundCheckStats {
  /** Runs started. */
  runs: number;
  /** Times a run fell due while the previous one still ran, and was skipped. */
  skipped: number;
}

/**
 * Runs each check every `everyMs` (the probe's period) from `start()` on: the next run of a check
 * falls due `everyMs` after its previous run started, or when that run ends if it took longer.
 */
export class BackgroundChecks<R> {
  private readonly states = new Map<string, CheckState<R>>();
  private started = false;
  private stopped = false;
  readonly stats: BackgroundCheckStats = { runs: 0, skipped: 0 };

  constructor(
    checks: readonly BackgroundCheck<R>[],
    private readonly everyMs: number,
    private readonly timers: CheckTimers = realTimers,
  ) {
    for (const check of checks) this.states.set(check.name, { check });
  }

  /** Starts every check now, then each on its own schedule; a second call does nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const state of this.states.values()) void this.runNow(state);
  }

  /** No more runs; a run in flight ends by its own deadline. */
  stop(): void {
    this.stopped = true;
    for (const state of this.states.values()) {
      if (state.timer !== undefined) this.timers.clearTimeout(state.timer);
      state.timer = undefined;
    }
  }

  /**
   * One run of every check that is not running, awaited (each by its deadline): for a one-off probe
   * (`gaia check`), which wants the answers, not a schedule.
   */
  async runOnce(): Promise<void> {
    await Promise.all([...this.states.values()].map((state) => (state.runningSince === undefined ? this.run(state) : undefined)));
  }

  /** What is known of `name`'s check now; undefined for a name that has no check. */
  read(name: string): CheckReading<R> | undefined {
    const state = this.states.get(name);
    if (!state) return undefined;
    const now = this.timers.now();
    const { deadlineMs } = state.check;
    const latest = state.latest;
    const overdue = state.runningSince !== undefined && now - state.runningSince > deadlineMs;
    // Measured from when it completed: a result is read at most a period plus a run's deadline
    // after it, so "a few periods" past that means the checks stopped answering or running.
    const stale = latest !== undefined && now - latest.completedAt > deadlineMs + STALE_AFTER_PERIODS * this.everyMs;
    if (overdue || stale) return { kind: "no-answer", deadlineMs, ...(latest ? { result: latest.result, completedAt: latest.completedAt } : {}) };
    if (!latest) return { kind: "unchecked" };
    return { kind: "result", result: latest.result, completedAt: latest.completedAt, ageMs: Math.max(0, now - latest.completedAt) };
  }

  /** Runs the check, then schedules its next run. */
  private async runNow(state: CheckState<R>): Promise<void> {
    state.timer = undefined;
    if (this.stopped) return;
    if (state.runningSince !== undefined) {
      this.stats.skipped++;
      return;
    }
    const startedAt = this.timers.now();
    await this.run(state);
    if (this.stopped) return;
    const wait = Math.max(0, startedAt + this.everyMs - this.timers.now());
    state.timer = this.timers.setTimeout(() => void this.runNow(state), wait);
  }

  private async run(state: CheckState<R>): Promise<void> {
    state.runningSince = this.timers.now();
    this.stats.runs++;
    try {
      const result = await state.check.run();
      state.latest = { result, completedAt: this.timers.now() };
    } catch {
      // A check resolves with its failure as a result; one that throws anyway keeps its last
      // answer, which the deadline ages out.
    } finally {
      state.runningSince = undefined;
    }
  }
}
