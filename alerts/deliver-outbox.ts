/**
 * Delivery of the outbox to Telegram: pending rows that are due go out in order, grouped into
 * messages per chat that fit Telegram's limits, and are marked delivered only after Telegram
 * accepted the message, and only those whose items the message showed.
 *
 * - Each attempt is recorded before the network call (`attemptStartedAt`). A row that still has
 *   it when no attempt is in flight was being sent when gaia stopped (kill -9, a power cut):
 *   Telegram may have it, so it is sent again marked as a possible repeat. So is a row whose
 *   attempt ended without an answer (a deadline, a dropped connection). The guarantee is at
 *   least once, with the repeats marked.
 * - Every attempt has a deadline (an AbortSignal), so a run never hangs on a dead network.
 * - A network error or a 5xx backs off (1 s, 2 s, 4 s, capped at a few seconds so delivery
 *   resumes soon after Telegram is back); what piled up meanwhile then goes out as one summary.
 * - A 429 waits the `retry_after` Telegram asked for, kept in the rows' `dueAt` across restarts.
 * - A message Telegram refuses for good (400, 403) is retried row by row to find the culprit,
 *   which is marked `dropped` and audited instead of being retried forever.
 * - An alert whose subject was muted before it could be sent is marked `muted`, not sent; so is
 *   a recovery whose incident never reached the chat (its opening alert was muted at delivery).
 *
 * The sender (wired by the composition root to `bot/render/` and grammY) says what happened by
 * what it throws: DeliveryRefused, DeliveryRateLimited, or anything else for "try again".
 */
import type { DataSource } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity.js";
import { In, IsNull, LessThan, LessThanOrEqual, MoreThan, Not } from "typeorm";
import type { Logger } from "pino";
import type { AuditTrail } from "../entities/audit-trail.js";
import { OutboxMessage } from "../entities/outbox-message.js";
import type { AlertPayload } from "./alert.js";
import { planDelivery, type DeliveryMessage, type PlannedMessage } from "./delivery-plan.js";
import type { MuteList } from "./mute-list.js";

/** Telegram refused the message for good (400 Bad Request, 403 Forbidden): do not retry it. */
export class DeliveryRefused extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = "DeliveryRefused";
  }
}

/** Telegram asked to wait (429 Too Many Requests) this long before the next message. */
export class DeliveryRateLimited extends Error {
  constructor(readonly retryAfterMs: number, description = "Too Many Requests") {
    super(description);
    this.name = "DeliveryRateLimited";
  }
}

/** The attempt ended without an answer (a deadline, a dropped connection): Telegram may have the message. */
export class DeliveryOutcomeUnknown extends Error {
  constructor(description: string) {
    super(description);
    this.name = "DeliveryOutcomeUnknown";
  }
}

/**
 * Sends one message; resolves with Telegram's message id once accepted, and how many of the
 * message's items the text showed (all, unless the renderer had to leave some out). Honours `signal`.
 */
export type AlertSender = (message: DeliveryMessage, signal: AbortSignal) => Promise<{ messageId: number; itemsShown?: number }>;

/** What delivery counts, for /metrics. */
export type DeliveryOutcome = "delivered" | "dropped" | "muted" | "failed" | "rate-limited";

export interface OutboxDeliveryOptions {
  dataSource: DataSource;
  audit: AuditTrail;
  send: AlertSender;
  mutes?: MuteList;
  logger: Logger;
  now: () => Date;
  /** Deadline of one attempt (default 20 s). */
  attemptTimeoutMs?: number;
  /** Backoff after a failed attempt: initial, doubled each time up to max (defaults 1 s and 5 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Items per message at most (default 50; `fits` usually splits first). */
  maxItemsPerMessage?: number;
  /** Whether a message fits one Telegram message (wired to the renderer); without it, `maxItemsPerMessage` alone splits. */
  fits?: (message: DeliveryMessage) => boolean;
  /** Rows that failed an attempt and are older than this when sent are announced as held back (default 10 s). */
  delayedAfterMs?: number;
  /** Rows read per run (default 500). */
  batchSize?: number;
  /** Called for every settled or failed row count, for /metrics. */
  onOutcome?: (outcome: DeliveryOutcome, rows: number) => void;
}

/** What one run did. */
export interface DeliveryRunResult {
  sent: number;
  delivered: number;
  dropped: number;
  muted: number;
  /** Why the run stopped early: backing off after a failure, or waiting out a 429. */
  waitingUntil?: Date;
  /** Messages left for the next run (one message per chat per run, for Telegram's flood limits). */
  more: boolean;
  /** When the next pending row falls due (one postponed before a restart, say), if any. */
  nextDueAt?: Date;
}

/** See the file comment. One instance per process; `run()` is called by the deliver job. */
export class OutboxDelivery {
  private blockedUntil = 0;
  private consecutiveFailures = 0;
  private readonly alone = new Set<number>();
  private recovered = false;

  constructor(private readonly options: OutboxDeliveryOptions) {}

  /** The moment before which no attempt is made (after a failure or a 429), if any. */
  get waitingUntil(): Date | undefined {
    return this.blockedUntil > this.options.now().getTime() ? new Date(this.blockedUntil) : undefined;
  }

  /** How many rows are set to go out on their own (bounded: each leaves the set once settled). */
  get rowsSentAlone(): number {
    return this.alone.size;
  }

  /** Sends what is due; see the file comment. */
  async run(): Promise<DeliveryRunResult> {
    const result: DeliveryRunResult = { sent: 0, delivered: 0, dropped: 0, muted: 0, more: false };
    const now = this.options.now();
    if (now.getTime() < this.blockedUntil) return { ...result, waitingUntil: new Date(this.blockedUntil) };

    const repo = this.options.dataSource.getRepository(OutboxMessage);
    if (!this.recovered) {
      // Rows whose attempt began before this process ran: gaia stopped while sending them.
      await repo.update({ status: "pending", attemptStartedAt: Not(IsNull()) }, { attemptStartedAt: null, maybeSent: true });
      this.recovered = true;
    }
    const due = await repo.find({
      where: { status: "pending", dueAt: LessThanOrEqual(now) },
      order: { id: "ASC" },
      take: this.options.batchSize ?? 500,
    });
    if (due.length === 0) return { ...result, ...(await this.nextDue(now)) };

    const sendable = await this.settleUnannouncedRecoveries(await this.settleMuted(due, result), result);
    const plan = planDelivery(sendable, {
      now,
      maxItems: this.options.maxItemsPerMessage ?? 50,
      ...(this.options.fits ? { fits: this.options.fits } : {}),
      delayedAfterMs: this.options.delayedAfterMs ?? 10_000,
      alone: this.alone,
    });
    const chatsDone = new Set<number>();
    for (const planned of plan) {
      if (chatsDone.has(planned.message.chatId)) {
        result.more = true;
        continue;
      }
      chatsDone.add(planned.message.chatId);
      const rows = sendable.filter((row) => planned.rowIds.includes(row.id));
      const stop = await this.attempt(planned, rows, result);
      if (stop) break;
    }
    return result;
  }

  /** The due time of the next pending row that is not due yet, so that the job can wake for it. */
  private async nextDue(now: Date): Promise<{ nextDueAt?: Date }> {
    const next = await this.options.dataSource.getRepository(OutboxMessage).findOne({
      select: { id: true, dueAt: true },
      where: { status: "pending", dueAt: MoreThan(now) },
      order: { dueAt: "ASC" },
    });
    return next ? { nextDueAt: next.dueAt } : {};
  }

  /** Sends one planned message; true when the run must stop (backing off or rate limited). */
  private async attempt(planned: PlannedMessage, rows: OutboxMessage[], result: DeliveryRunResult): Promise<boolean> {
    result.sent++;
    const ids = rows.map((row) => row.id);
    // Persist before acting: from here until its outcome is written, the rows say a send is under way.
    await this.update(ids, { attemptStartedAt: this.options.now(), attempts: () => "attempts + 1" });
    try {
      const { messageId, itemsShown } = await this.options.send(planned.message, AbortSignal.timeout(this.options.attemptTimeoutMs ?? 20_000));
      const shown = planned.itemRowIds.slice(0, itemsShown ?? planned.itemRowIds.length).flat();
      const left = ids.filter((id) => !shown.includes(id));
      // One statement, so the rows of a message are marked together or not at all.
      await this.update(shown, { status: "delivered", deliveredAt: this.options.now(), telegramMessageId: messageId, lastError: null, attemptStartedAt: null });
      if (left.length > 0) {
        // Not in the text after all: they stay pending, due now, for the next message.
        await this.update(left, { attemptStartedAt: null });
        result.more = true;
      }
      for (const id of shown) this.alone.delete(id);
      this.options.logger.info({ rows: shown, messageId, delayed: planned.message.delayedSince !== undefined, possibleRepeat: planned.message.possibleRepeat === true }, "delivered alerts");
      this.consecutiveFailures = 0;
      result.delivered += shown.length;
      this.options.onOutcome?.("delivered", shown.length);
      return false;
    } catch (error) {
      const now = this.options.now();
      if (error instanceof DeliveryRefused) {
        await this.update(ids, { attemptStartedAt: null });
        if (rows.length > 1) {
          // One bad row must not take the others down: send them one by one from the next run on.
          for (const row of rows) this.alone.add(row.id);
          this.options.logger.warn({ rows: ids, error: error.description }, "Telegram refused a grouped message; sending its rows one by one");
          result.more = true;
          return false;
        }
        await this.drop(rows[0], error.description);
        result.dropped++;
        return false;
      }
      if (error instanceof DeliveryRateLimited) {
        this.blockedUntil = now.getTime() + error.retryAfterMs;
        await this.postpone(ids, new Date(this.blockedUntil), `429 ${error.message}`, false);
        this.options.onOutcome?.("rate-limited", rows.length);
        this.options.logger.warn({ retryAfterMs: error.retryAfterMs }, "Telegram asked to slow down; the alerts wait");
        result.waitingUntil = new Date(this.blockedUntil);
        return true;
      }
      this.consecutiveFailures++;
      const initial = this.options.backoffInitialMs ?? 1000;
      const delay = Math.min(this.options.backoffMaxMs ?? 5000, initial * 2 ** (this.consecutiveFailures - 1));
      this.blockedUntil = now.getTime() + delay;
      const reason = describeError(error);
      const maybeSent = error instanceof DeliveryOutcomeUnknown;
      await this.postpone(ids, new Date(this.blockedUntil), reason, maybeSent);
      this.options.onOutcome?.("failed", rows.length);
      this.options.logger.warn({ attempt: this.consecutiveFailures, retryInMs: delay, error: reason, possiblyDelivered: maybeSent }, "could not deliver alerts; will retry");
      result.waitingUntil = new Date(this.blockedUntil);
      return true;
    }
  }

  /** One UPDATE of the given rows (nothing for none). */
  private async update(ids: number[], set: QueryDeepPartialEntity<OutboxMessage>): Promise<void> {
    if (ids.length === 0) return;
    await this.options.dataSource.createQueryBuilder().update(OutboxMessage).set(set).whereInIds(ids).execute();
  }

  private async postpone(ids: number[], until: Date, reason: string, maybeSent: boolean): Promise<void> {
    await this.update(ids, { dueAt: until, lastError: reason.slice(0, 500), attemptStartedAt: null, ...(maybeSent ? { maybeSent: true } : {}) });
  }

  private async drop(row: OutboxMessage, description: string): Promise<void> {
    this.alone.delete(row.id);
    await this.options.dataSource.getRepository(OutboxMessage).update(
      { id: row.id },
      { status: "dropped", lastError: description.slice(0, 500), attemptStartedAt: null },
    );
    const payload = row.payload as Partial<AlertPayload>;
    await this.options.audit.record({
      kind: "alert.dropped",
      subject: typeof payload.subject === "string" ? payload.subject : null,
      at: this.options.now(),
      message: `Telegram refused outbox message #${row.id} for good: ${description}`,
      details: { outboxId: row.id, kind: row.kind, chatId: row.chatId, error: description },
    });
    this.options.onOutcome?.("dropped", 1);
    this.options.logger.error({ outboxId: row.id, error: description }, "Telegram refused an alert for good; dropped it");
  }

  /**
   * Settles as muted the recoveries whose incident never reached the chat (its opening alert and
   * reminders were all muted at delivery): "back up" about a "down" nobody was told of is noise.
   * A recovery whose earlier rows are pending in this batch folds with them instead.
   */
  private async settleUnannouncedRecoveries(rows: OutboxMessage[], result: DeliveryRunResult): Promise<OutboxMessage[]> {
    const recoveries = rows.filter(
      (row) => row.kind === "alert" && row.incidentId !== null && (row.payload as unknown as AlertPayload).change === "resolved" && !rows.some((other) => other.incidentId === row.incidentId && other.id < row.id),
    );
    if (recoveries.length === 0) return rows;
    const repo = this.options.dataSource.getRepository(OutboxMessage);
    const unannounced: OutboxMessage[] = [];
    for (const recovery of recoveries) {
      const earlier = await repo.find({ select: { id: true, status: true }, where: { incidentId: recovery.incidentId!, kind: "alert", id: LessThan(recovery.id) } });
      if (earlier.length > 0 && earlier.every((row) => row.status === "muted")) unannounced.push(recovery);
    }
    if (unannounced.length === 0) return rows;
    await repo.update({ id: In(unannounced.map((r) => r.id)) }, { status: "muted", lastError: "its incident's opening alert was muted before delivery" });
    for (const row of unannounced) this.alone.delete(row.id);
    result.muted += unannounced.length;
    this.options.onOutcome?.("muted", unannounced.length);
    return rows.filter((row) => !unannounced.includes(row));
  }

  /** Marks alerts whose subject is muted now (opened or reminders), and returns the rest. */
  private async settleMuted(rows: OutboxMessage[], result: DeliveryRunResult): Promise<OutboxMessage[]> {
    const mutes = this.options.mutes;
    if (!mutes) return rows;
    const muted = rows.filter((row) => {
      if (row.kind !== "alert") return false;
      const payload = row.payload as unknown as AlertPayload;
      if (payload.change === "resolved") return false;
      // The host is silenced only by "all", like in the rules.
      return payload.subjectKind === "host" ? mutes.active().some((m) => m.subject === "all") : mutes.mutedBy(payload.subject) !== undefined;
    });
    if (muted.length === 0) return rows;
    await this.options.dataSource.getRepository(OutboxMessage).update({ id: In(muted.map((r) => r.id)) }, { status: "muted", lastError: "muted before delivery" });
    for (const row of muted) this.alone.delete(row.id);
    result.muted += muted.length;
    this.options.onOutcome?.("muted", muted.length);
    return rows.filter((row) => !muted.includes(row));
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.name === "TimeoutError" || error.name === "AbortError" ? "no answer within the deadline" : error.message;
  return String(error);
}
