import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { chatIdColumn } from "./chat-id-column.js";

/**
 * An alert or notice waiting to reach Telegram. It is written before any network call and marked
 * delivered only after Telegram accepted it, so nothing is lost across outages or restarts.
 */
@Entity({ name: "outbox" })
@Index("idx_outbox_status_due", ["status", "dueAt"])
@Index("idx_outbox_incident", ["incidentId"])
export class OutboxMessage {
  @PrimaryGeneratedColumn({ type: "integer" })
  id: number;

  @Column({ type: Date })
  createdAt: Date;

  /** Not to be sent before this moment (backoff after a failed attempt). */
  @Column({ type: Date })
  dueAt: Date;

  /** What kind of message the payload describes, e.g. `alert`, `notice`, `approval`. */
  @Column({ type: "varchar", length: 32 })
  kind: string;

  /** What to say, as data; `bot/render/` turns it into HTML at delivery time. */
  @Column({ type: "simple-json" })
  payload: Record<string, unknown>;

  @Column(chatIdColumn())
  chatId: number;

  /** `pending`, `delivered`, `dropped` (a message Telegram refused for good) or `muted` (its subject was muted before it went out). */
  @Column({ type: "varchar", length: 16, default: "pending" })
  status: string;

  @Column({ type: "integer", default: 0 })
  attempts: number;

  @Column({ type: "text", nullable: true })
  lastError: string | null;

  @Column({ type: Date, nullable: true })
  deliveredAt: Date | null;

  @Column({ type: "integer", nullable: true })
  telegramMessageId: number | null;

  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. */
  @Column({ type: "varchar", length: 64, default: "" })
  host?: string;

  /**
   * Set just before a send, cleared when its outcome is written: still set when no attempt is in
   * flight means gaia stopped (a crash, kill -9) before Telegram's answer was recorded.
   */
  @Column({ type: Date, nullable: true })
  attemptStartedAt: Date | null;

  /** Telegram may already have shown this row (an attempt whose outcome is unknown): its next send says it is possibly a repeat. */
  @Column({ type: "boolean", default: false })
  maybeSent: boolean;

  /** The incident an alert is about (its payload's `incidentId`); null for notices. */
  @Column({ type: "integer", nullable: true })
  incidentId: number | null;
}
