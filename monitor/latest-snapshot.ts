import type { Snapshot } from "./snapshot.js";

/**
 * The newest snapshot the probe job took, for readers that must not probe themselves (/status,
 * /top, /metrics, GET /v1/status). One instance is made by the monitoring wiring and passed to
 * whoever needs it; it holds plain data, so a reader can never disturb the probe.
 */
export class LatestSnapshot {
  private latest: Snapshot | undefined;
  private readonly waiters = new Set<(snapshot: Snapshot) => void>();
  private readonly listeners = new Set<(snapshot: Snapshot) => void>();

  /** The newest snapshot, or undefined before the first probe has finished. */
  current(): Snapshot | undefined {
    return this.latest;
  }

  /** How old the newest snapshot is at `now`, in ms; undefined before the first probe. */
  ageMs(now: Date = new Date()): number | undefined {
    return this.latest ? Math.max(0, now.getTime() - this.latest.at.getTime()) : undefined;
  }

  /**
   * The newest snapshot, or the first one to arrive within `timeoutMs` (a /status sent in the
   * first seconds after start waits for the first probe instead of answering "no data").
   */
  async next(timeoutMs: number): Promise<Snapshot | undefined> {
    if (this.latest) return this.latest;
    return new Promise((resolve) => {
      const done = (snapshot: Snapshot | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(snapshot);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      timer.unref?.();
      this.waiters.add(done);
    });
  }

  /** Called by the probe job after each cycle. */
  update(snapshot: Snapshot): void {
    this.latest = snapshot;
    for (const waiter of [...this.waiters]) waiter(snapshot);
    for (const listener of this.listeners) listener(snapshot);
  }

  /** Hears every snapshot as it arrives (the metrics' CPU-seconds counters add up each interval). */
  onUpdate(listener: (snapshot: Snapshot) => void): void {
    this.listeners.add(listener);
  }
}
