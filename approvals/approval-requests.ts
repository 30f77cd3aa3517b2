import { randomBytes } from "node:crypto";
import { IsNull, LessThanOrEqual, MoreThan, Not, type DataSource, type Repository } from "typeorm";
import { ApprovalRequest } from "../entities/approval-request.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import type { ApprovalInput } from "./approval-input.js";

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired";
export type Decision = "approved" | "denied";

/** Who decides: `actor` for the audit trail (`telegram:424242`), `label` for people ("Alice (424242)"). */
export interface Decider {
  actor: string;
  label: string;
}

/** What became of a decision attempt: the first one wins, later ones learn what happened. */
export type DecisionOutcome =
  | { kind: "decided"; request: ApprovalRequest }
  | { kind: "already"; request: ApprovalRequest }
  | { kind: "unknown" };

/** The shape of a request id: 16 hex digits, so that `apr:y:<id>` fits a button's 64-byte data. */
export const APPROVAL_ID_PATTERN = /^[0-9a-f]{16}$/;

// Timers may fire a hair before the stored expiry; waiting a little longer lets the expiry count.
const EXPIRY_SLACK_MS = 25;

type Listener = (request: ApprovalRequest) => void;

/**
 * Approval requests in gaia.db: create, decide (first decision wins, atomically), expire, and
 * wait for a decision. Nothing here knows about Telegram; the bot posts and edits messages from
 * the `onCreated` / `onSettled` notifications and the `unposted` / `outcomesToShow` lists.
 */
export class ApprovalRequests {
  private readonly createdListeners = new Set<Listener>();
  private readonly settledListeners = new Set<Listener>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(
    private readonly options: {
      dataSource: DataSource;
      audit: AuditTrail;
      /** `approvals.timeout` of gaia.yml, for requests that do not name their own. */
      defaultTimeoutMs: number;
      now: () => Date;
    },
  ) {}

  private get repo(): Repository<ApprovalRequest> {
    return this.options.dataSource.getRepository(ApprovalRequest);
  }

  /** Stores a new pending request (before anything is sent anywhere) and audits it. */
  async create(input: ApprovalInput, actor = "api"): Promise<ApprovalRequest> {
    const createdAt = this.options.now();
    const timeoutMs = input.timeoutSeconds !== undefined ? input.timeoutSeconds * 1000 : this.options.defaultTimeoutMs;
    const request = this.repo.create({
      id: randomBytes(8).toString("hex"),
      title: input.title,
      details: input.details ?? null,
      requester: input.requester ?? null,
      status: "pending",
      createdAt,
      expiresAt: new Date(createdAt.getTime() + timeoutMs),
      decidedBy: null,
      decidedAt: null,
      chatId: null,
      messageId: null,
      outcomeShown: false,
    });
    await this.repo.insert(request);
    await this.options.audit.record({
      kind: "approval.created",
      actor,
      subject: request.id,
      message: `Approval requested: ${request.title}`,
      details: { requester: request.requester, expiresAt: request.expiresAt.toISOString() },
    });
    for (const listener of this.createdListeners) listener(request);
    return request;
  }

  /** The request with this id, or null (an id of the wrong shape is simply unknown). */
  async find(id: string): Promise<ApprovalRequest | null> {
    if (!APPROVAL_ID_PATTERN.test(id)) return null;
    return this.repo.findOneBy({ id });
  }

  /** Requests still waiting for a decision, oldest first. */
  async pending(): Promise<ApprovalRequest[]> {
    return this.repo.find({ where: { status: "pending", expiresAt: MoreThan(this.options.now()) }, order: { createdAt: "ASC" } });
  }

  /** When the next pending request runs out, if any is pending. */
  async nextExpiry(): Promise<Date | undefined> {
    const next = await this.repo.findOne({ where: { status: "pending" }, order: { expiresAt: "ASC" }, select: { id: true, expiresAt: true } });
    return next?.expiresAt;
  }

  /** Pending requests whose message was not sent yet (Telegram was down, or a restart came first). */
  async unposted(): Promise<ApprovalRequest[]> {
    return this.repo.find({
      where: { status: "pending", messageId: IsNull(), expiresAt: MoreThan(this.options.now()) },
      order: { createdAt: "ASC" },
    });
  }

  /** Remembers the message that carries the request's buttons; false when one was already recorded. */
  async markPosted(id: string, chatId: number, messageId: number): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update(ApprovalRequest)
      .set({ chatId, messageId })
      .where(`id = :id AND "messageId" IS NULL`, { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Records a decision. One conditional UPDATE (`WHERE status = 'pending'` and not past expiry)
   * makes the first decision win even when two admins press at the same moment; a press on a
   * decided, expired or unknown request changes nothing and says what happened instead.
   */
  async decide(id: string, decision: Decision, decider: Decider): Promise<DecisionOutcome> {
    if (!APPROVAL_ID_PATTERN.test(id)) return { kind: "unknown" };
    const decidedAt = this.options.now();
    const result = await this.repo
      .createQueryBuilder()
      .update(ApprovalRequest)
      .set({ status: decision, decidedBy: decider.label.slice(0, 128), decidedAt })
      .where(`id = :id AND status = 'pending' AND "expiresAt" > :decidedAt`, { id, decidedAt })
      .execute();
    if ((result.affected ?? 0) === 0) {
      // Past its expiry but not yet marked by the job: mark it now, so the answer is "expired".
      await this.expireDue(id);
      const request = await this.find(id);
      return request ? { kind: "already", request } : { kind: "unknown" };
    }
    const request = (await this.find(id))!;
    await this.options.audit.record({
      kind: "approval.decided",
      actor: decider.actor,
      subject: id,
      message: `${decision === "approved" ? "Approved" : "Denied"} by ${request.decidedBy}: ${request.title}`,
      details: { decision, decidedBy: request.decidedBy },
      at: decidedAt,
    });
    this.settled(request);
    return { kind: "decided", request };
  }

  /** Marks pending requests past their expiry as expired (only `id`, when given); returns them. */
  async expireDue(id?: string): Promise<ApprovalRequest[]> {
    const now = this.options.now();
    const due = await this.repo.find({ where: { status: "pending", expiresAt: LessThanOrEqual(now), ...(id !== undefined ? { id } : {}) } });
    const expired: ApprovalRequest[] = [];
    for (const candidate of due) {
      const result = await this.repo
        .createQueryBuilder()
        .update(ApprovalRequest)
        .set({ status: "expired" })
        .where(`id = :id AND status = 'pending'`, { id: candidate.id })
        .execute();
      if ((result.affected ?? 0) === 0) continue; // decided in the meantime
      const request = (await this.find(candidate.id))!;
      await this.options.audit.record({
        kind: "approval.expired",
        subject: request.id,
        message: `Expired without a decision: ${request.title}`,
        details: { expiresAt: request.expiresAt.toISOString() },
      });
      this.settled(request);
      expired.push(request);
    }
    return expired;
  }

  /** Decided or expired requests whose message still shows the buttons. */
  async outcomesToShow(): Promise<ApprovalRequest[]> {
    return this.repo.find({
      where: { status: Not("pending"), messageId: Not(IsNull()), outcomeShown: false },
      order: { createdAt: "ASC" },
    });
  }

  /**
   * Takes the job of editing a request's message to show its outcome; false when someone else
   * took it already, so that two edits never race (Telegram refuses an edit that changes nothing).
   */
  async claimOutcome(id: string): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update(ApprovalRequest)
      .set({ outcomeShown: true })
      .where(`id = :id AND status <> 'pending' AND NOT "outcomeShown"`, { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Gives a claimed edit back after it failed for a passing reason, so that it is retried. */
  async releaseOutcome(id: string): Promise<void> {
    await this.repo.update({ id }, { outcomeShown: false });
  }

  /**
   * The request once it is decided or expired, or as it stands after `waitMs` (the long poll of
   * `GET /v1/approvals/:id?wait=`); null for an unknown id. Ends early when `signal` aborts or
   * the service closes. A request reaching its expiry while waited on is expired on the spot.
   */
  async waitForSettlement(id: string, waitMs: number, signal?: AbortSignal): Promise<ApprovalRequest | null> {
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    // Listen before reading, so that a decision between the read and the wait is not missed.
    const waiters = this.waiters.get(id) ?? new Set();
    waiters.add(wake);
    this.waiters.set(id, waiters);
    const onAbort = () => wake();
    signal?.addEventListener("abort", onAbort);
    let timer: NodeJS.Timeout | undefined;
    try {
      const request = await this.find(id);
      if (!request || request.status !== "pending" || waitMs <= 0 || this.closed || signal?.aborted) return request;
      const untilExpiry = request.expiresAt.getTime() - this.options.now().getTime() + EXPIRY_SLACK_MS;
      const expiresFirst = untilExpiry <= waitMs;
      await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, Math.min(waitMs, untilExpiry)))))]);
      if (expiresFirst && !this.closed) await this.expireDue(id);
      return await this.find(id);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      waiters.delete(wake);
      if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
    }
  }

  /** Calls `listener` after each new request is stored; returns the unsubscribe function. */
  onCreated(listener: Listener): () => void {
    this.createdListeners.add(listener);
    return () => this.createdListeners.delete(listener);
  }

  /** Calls `listener` after each decision or expiry is stored; returns the unsubscribe function. */
  onSettled(listener: Listener): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  /** Ends every wait at once (the monitor is stopping); the waiting clients see "pending" and retry. */
  close(): void {
    this.closed = true;
    for (const waiters of this.waiters.values()) for (const wake of waiters) wake();
  }

  private settled(request: ApprovalRequest): void {
    for (const wake of this.waiters.get(request.id) ?? []) wake();
    for (const listener of this.settledListeners) listener(request);
  }
}
