import { createTask } from "node-cron";
import type { StateStore } from "../entities/state-store.js";

const NEXT_DUE_KEY = "rotation.nextDue";
const SNOOZED_UNTIL_KEY = "rotation.snoozedUntil";
const ANNOUNCED_KEY = "rotation.announcedDue";
const EXPIRY_WARNED_KEY = "rotation.expiryWarned";

/** How long "Snooze 1 day" waits. */
export const SNOOZE_MS = 86_400_000;
/** How far ahead an expiring token is announced. */
export const EXPIRY_WARNING_MS = 7 * 86_400_000;

/**
 * When the next rotation falls due (`rotation.schedule`), kept in gaia.db so that a restart
 * neither forgets a due rotation nor announces it twice: the due time is fixed when the previous
 * rotation finishes (or at the first start), and moves only with the next rotation or a snooze.
 */
export class RotationSchedule {
  constructor(private readonly state: StateStore, private readonly expression: string, private readonly now: () => Date) {}

  /** The next due time, set from the schedule at the first call. */
  async nextDue(): Promise<Date> {
    const stored = await this.state.get<string>(NEXT_DUE_KEY);
    if (stored) return new Date(stored);
    const next = nextCronRun(this.expression, this.now());
    await this.state.set(NEXT_DUE_KEY, next.toISOString());
    return next;
  }

  /** Whether a rotation is due now and not snoozed, and whether it was announced already. */
  async due(): Promise<{ due: boolean; dueAt: Date; announced: boolean }> {
    const dueAt = await this.nextDue();
    const now = this.now();
    const snoozedUntil = await this.state.get<string>(SNOOZED_UNTIL_KEY);
    const due = now >= dueAt && !(snoozedUntil && now < new Date(snoozedUntil));
    const announced = (await this.state.get<string>(ANNOUNCED_KEY)) === `${dueAt.toISOString()}|${snoozedUntil ?? ""}`;
    return { due, dueAt, announced };
  }

  async markAnnounced(dueAt: Date): Promise<void> {
    const snoozedUntil = await this.state.get<string>(SNOOZED_UNTIL_KEY);
    await this.state.set(ANNOUNCED_KEY, `${dueAt.toISOString()}|${snoozedUntil ?? ""}`);
  }

  /** "Snooze 1 day": announced again a day from now. Returns the new time. */
  async snooze(): Promise<Date> {
    const until = new Date(this.now().getTime() + SNOOZE_MS);
    await this.state.set(SNOOZED_UNTIL_KEY, until.toISOString());
    return until;
  }

  /** After a finished rotation: the next one falls due at the schedule's next time. */
  async rotated(): Promise<Date> {
    const next = nextCronRun(this.expression, this.now());
    await this.state.set(NEXT_DUE_KEY, next.toISOString());
    await this.state.set(SNOOZED_UNTIL_KEY, "");
    return next;
  }

  /** Whether the expiry of the token with this fingerprint was announced already. */
  async expiryWarned(fingerprint: string): Promise<boolean> {
    return (await this.state.get<string>(EXPIRY_WARNED_KEY)) === fingerprint;
  }

  async markExpiryWarned(fingerprint: string): Promise<void> {
    await this.state.set(EXPIRY_WARNED_KEY, fingerprint);
  }
}

/** The first time after `after` when a cron expression falls due (node-cron counts from now). */
export function nextCronRun(expression: string, after: Date): Date {
  const task = createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(1);
    return runs[0] ?? new Date(after.getTime() + 30 * 86_400_000);
  } finally {
    void task.destroy();
  }
}
