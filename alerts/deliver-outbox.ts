/**
 * Delivery of the outbox to Telegram: pending rows that are due go out in order, grouped into
 * one message per chat, and are marked delivered only after Telegram accepted the message.
 *
 * - Every attempt has a deadline (an AbortSignal), so a run never hangs on a dead network.
 * - A network error or a 5xx backs off (1 s, 2 s, 4 s, capped at a few seconds so delivery
 *   resumes soon after Telegram is back); what piled up meanwhile then goes out as one summary.
 * - A 429 waits the `retry_after` Telegram asked for, kept in the rows' `dueAt` across restarts.
 * - A message Telegram refuses for good (400, 403) is retried row by row to find the culprit,
 *   which is marked `dropped` and audited instead of being retried forever.
 * - An alert whose subject was muted before it could be sent is marked `muted`, not sent.
 *
 * The sender (wired by the composition root to `bot/render/` and grammY) says what happened by
 * what it throws: DeliveryRefused, DeliveryRateLimited, or anything else for "try again".
 */
import type { DataSource } from "typeorm";
import { In, LessThanOrEqual } from "typeorm";
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

/** Sends one message; resolves with Telegram's message id once accepted. Honours `signal`. */
export type AlertSender = (message: DeliveryMessage, signal: AbortSignal) => Promise<{ messageId: number }>;

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
  /** Items per message (default 20). */
  maxItemsPerMessage?: number;
  /** Rows older than this when sent are announced as delayed (default 60 s). */
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
}

/** See the file comment. One instance per process; `run()` is called by the deliver job. */
export class OutboxDelivery {
  private blockedUntil = 0;
  private consecutiveFailures = 0;
  private readonly alone = new Set<number>();

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
    const due = await repo.find({
      where: { status: "pending", dueAt: LessThanOrEqual(now) },
      order: { id: "ASC" },
      take: this.options.batchSize ?? 500,
    });
    if (due.length === 0) return result;

    const sendable = await this.settleMuted(due, result);
    const plan = planDelivery(sendable, {
      now,
      maxItems: this.options.maxItemsPerMessage ?? 20,
      delayedAfterMs: this.options.delayedAfterMs ?? 60_000,
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

  /** Sends one planned message; true when the run must stop (backing off or rate limited). */
  private async attempt(planned: PlannedMessage, rows: OutboxMessage[], result: DeliveryRunResult): Promise<boolean> {
    result.sent++;
    try {
      const { messageId } = await this.options.send(planned.message, AbortSignal.timeout(this.options.attemptTimeoutMs ?? 20_000));
      // One statement, so the rows of a message are marked together or not at all.
      await this.options.dataSource
        .createQueryBuilder()
        .update(OutboxMessage)
        .set({ status: "delivered", deliveredAt: this.options.now(), telegramMessageId: messageId, lastError: null, attempts: () => "attempts + 1" })
        .whereInIds(rows.map((row) => row.id))
        .execute();
      for (const row of rows) this.alone.delete(row.id);
      this.options.logger.info({ rows: rows.map((r) => r.id), messageId, delayed: planned.message.delayedSince !== undefined }, "delivered alerts");
      this.consecutiveFailures = 0;
      result.delivered += rows.length;
      this.options.onOutcome?.("delivered", rows.length);
      return false;
    } catch (error) {
      const now = this.options.now();
      if (error instanceof DeliveryRefused) {
        if (rows.length > 1) {
          // One bad row must not take the others down: send them one by one from the next run on.
          for (const row of rows) this.alone.add(row.id);
          this.options.logger.warn({ rows: rows.map((r) => r.id), error: error.description }, "Telegram refused a grouped message; sending its rows one by one");
          result.more = true;
          return false;
        }
        await this.drop(rows[0], error.description);
        result.dropped++;
        return false;
      }
      if (error instanceof DeliveryRateLimited) {
        this.blockedUntil = now.getTime() + error.retryAfterMs;
        await this.postpone(rows, new Date(this.blockedUntil), `429 ${error.message}`);
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
      await this.postpone(rows, new Date(this.blockedUntil), reason);
      this.options.onOutcome?.("failed", rows.length);
      this.options.logger.warn({ attempt: this.consecutiveFailures, retryInMs: delay, error: reason }, "could not deliver alerts; will retry");
      result.waitingUntil = new Date(this.blockedUntil);
      return true;
    }
  }

  private async postpone(rows: OutboxMessage[], until: Date, reason: string): Promise<void> {
    await this.options.dataSource
      .createQueryBuilder()
      .update(OutboxMessage)
      .set({ dueAt: until, lastError: reason.slice(0, 500), attempts: () => "attempts + 1" })
      .whereInIds(rows.map((row) => row.id))
      .execute();
  }

  private async drop(row: OutboxMessage, description: string): Promise<void> {
    this.alone.delete(row.id);
    await this.options.dataSource.getRepository(OutboxMessage).update(
      { id: row.id },
      { status: "dropped", attempts: row.attempts + 1, lastError: description.slice(0, 500) },
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
