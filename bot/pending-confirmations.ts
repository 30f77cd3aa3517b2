/**
 * Taps waiting for their confirming second tap (Restart → Confirm), by subject id. A first tap that
 * is never confirmed must not stay forever: expired entries are pruned on every new tap, and at
 * most `max` are kept (the oldest go first), so weeks of unconfirmed taps hold a handful of entries.
 */
export class PendingConfirmations<T> {
  private readonly entries = new Map<number, { expiresAt: number; value: T }>();

  constructor(
    private readonly windowMs: number,
    private readonly max = 100,
  ) {}

  /** Records a first tap at `now`; it can be confirmed until `now + windowMs`. */
  add(id: number, value: T, now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt < now) this.entries.delete(key);
    this.entries.delete(id);
    this.entries.set(id, { expiresAt: now + this.windowMs, value });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as number);
  }

  /** Removes and returns the tap waiting for `id`, with whether it is still within its window. */
  take(id: number, now: number): { value: T; expired: boolean } | undefined {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    return entry ? { value: entry.value, expired: entry.expiresAt < now } : undefined;
  }

  /** How many taps are waiting (pruned ones excluded once a tap has come since they expired). */
  get size(): number {
    return this.entries.size;
  }
}
