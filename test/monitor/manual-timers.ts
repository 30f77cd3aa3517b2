/**
 * A clock and timers moved by hand, for the background checks: `advance` fires every timer that
 * falls due, in time order, letting the promises each one starts settle before the next.
 */
import type { CheckTimers } from "../../monitor/background-checks.js";

export class ManualTimers implements CheckTimers {
  private time: number;
  private seq = 0;
  private pending: { at: number; run: () => void; id: number }[] = [];

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now = (): number => this.time;

  setTimeout = (run: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.pending.push({ at: this.time + Math.max(0, ms), run, id });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.pending = this.pending.filter((p) => p.id !== handle);
  };

  /** Timers waiting to fire. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Moves the clock on by `ms`, firing what falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.pending[0];
      if (!next || next.at > end) break;
      this.pending.shift();
      this.time = next.at;
      next.run();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets every promise chain that can move on do so. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
