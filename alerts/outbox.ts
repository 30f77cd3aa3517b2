import type { DataSource, EntityManager } from "typeorm";
import { OutboxMessage } from "../entities/outbox-message.js";
import type { AlertPayload, NoticePayload, OutboxKind } from "./alert.js";

/**
 * The alert outbox: every message to Telegram is a row here before it is a network call. Pass the
 * EntityManager of a transaction to write the row atomically with the incident it reports.
 */
export class Outbox {
  constructor(
    private readonly dataSource: DataSource,
    private readonly defaultChatId: number,
    private readonly now: () => Date = () => new Date(),
    /** Called after a row is written, so that delivery can start at once. */
    private readonly onEnqueued: () => void = () => undefined,
  ) {}

  /** Queues an alert or a notice; returns the stored row. */
  async enqueue(
    entry: { kind: "alert"; payload: AlertPayload } | { kind: "notice"; payload: NoticePayload },
    options: { manager?: EntityManager; chatId?: number } = {},
  ): Promise<OutboxMessage> {
    const manager = options.manager ?? this.dataSource.manager;
    const at = this.now();
    const row = await manager.getRepository(OutboxMessage).save(
      manager.getRepository(OutboxMessage).create({
        createdAt: at,
        dueAt: at,
        kind: entry.kind satisfies OutboxKind,
        payload: entry.payload as unknown as Record<string, unknown>,
        chatId: options.chatId ?? this.defaultChatId,
        status: "pending",
        attempts: 0,
        lastError: null,
        deliveredAt: null,
        telegramMessageId: null,
        attemptStartedAt: null,
        maybeSent: false,
        incidentId: entry.kind === "alert" && entry.payload.incidentId > 0 ? entry.payload.incidentId : null,
      }),
    );
    // Inside a transaction the row is not visible until commit; delivery picks it up then or on its next run.
    if (!options.manager) this.onEnqueued();
    return row;
  }

  /** Lets delivery start now (after a transaction that enqueued rows has committed). */
  kick(): void {
    this.onEnqueued();
  }
}
