import type { Logger } from "pino";
import type { RotationNotice } from "../alerts/alert.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import type { Rotation } from "../entities/rotation.js";
import type { RotationRunner } from "../rotation/rotation-runner.js";
import { EXPIRY_WARNING_MS, type RotationSchedule } from "../rotation/rotation-schedule.js";

/** A /rotate flow left without an answer this long is rolled back (the flow itself gives up after 15 minutes). */
const ABANDONED_AFTER_MS = 30 * 60_000;
/** How often the current token's expiry is read from GitHub (the job itself runs every minute). */
const EXPIRY_CHECK_EVERY_MS = 6 * 3_600_000;

export interface RotationDueOptions {
  runner: RotationRunner;
  schedule: RotationSchedule;
  audit: AuditTrail;
  /** `rotation.approval: auto` with identity app: rotate without asking. */
  automatic: boolean;
  /** Queues a rotation notice (through the outbox, so it survives an outage). */
  notify: (notice: RotationNotice) => Promise<void>;
  /** Reports a finished rotation (notice, next due time). */
  finished: (rotation: Rotation) => Promise<void>;
  /** Keeps the current token's expiry for /status. */
  expiry: { set(at: Date | null): void };
  logger: Logger;
  now: () => Date;
}

/**
 * The rotation-due job: when `rotation.schedule` falls due, an `app` identity with
 * `approval: auto` rotates by itself and reports; otherwise the admins get "rotation due" with
 * Start rotation / Snooze 1 day, once per due time. It also warns 7 days before the current token expires.
 */
export function rotationDueJob(options: RotationDueOptions): () => Promise<void> {
  let expiryCheckedAt = 0;
  return async () => {
    const now = options.now();
    if (now.getTime() - expiryCheckedAt >= EXPIRY_CHECK_EVERY_MS) {
      expiryCheckedAt = now.getTime();
      await checkExpiry(options);
    }
    for (const abandoned of await options.runner.rollBackAbandoned(ABANDONED_AFTER_MS)) await options.finished(abandoned);
    const { due, dueAt, announced } = await options.schedule.due();
    if (!due || (await options.runner.active())) return;
    if (options.automatic) {
      await options.audit.record({ kind: "rotation.due", message: `Rotation due since ${dueAt.toISOString()}: rotating automatically`, details: { dueAt: dueAt.toISOString(), automatic: true } });
      try {
        const done = await options.runner.rotateAutomatically("system");
        await options.finished(done);
      } catch (error) {
        options.logger.warn({ err: error }, "the scheduled rotation failed");
        const last = await options.runner.lastAttempt();
        if (last) await options.finished(last);
      }
      return;
    }
    if (announced) return;
    await options.audit.record({ kind: "rotation.due", message: `Rotation due since ${dueAt.toISOString()}`, details: { dueAt: dueAt.toISOString(), automatic: false } });
    await options.notify({ event: "due", identity: options.runner.identityKind });
    await options.schedule.markAnnounced(dueAt);
  };
}

async function checkExpiry(options: RotationDueOptions): Promise<void> {
  try {
    const facts = await options.runner.currentFacts();
    if (!facts || facts.kind === "installation") return options.expiry.set(null);
    options.expiry.set(facts.expiresAt);
    const token = options.runner.currentFingerprint();
    if (!facts.expiresAt || !token) return;
    if (facts.expiresAt.getTime() - options.now().getTime() > EXPIRY_WARNING_MS) return;
    if (await options.schedule.expiryWarned(token)) return;
    await options.audit.record({ kind: "rotation.expiring", message: `The GitHub token ${token} expires at ${facts.expiresAt.toISOString()}`, details: { token, expiresAt: facts.expiresAt.toISOString() } });
    await options.notify({ event: "expiring", identity: options.runner.identityKind, expiresAt: facts.expiresAt.toISOString(), oldFingerprint: token });
    await options.schedule.markExpiryWarned(token);
  } catch (error) {
    options.logger.warn({ err: error }, "cannot read the GitHub token's expiry");
  }
}
