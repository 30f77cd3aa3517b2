import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { chatIdColumn } from "./chat-id-column.js";

/** A local script's request for a human decision, and that decision. */
@Entity({ name: "approvals" })
@Index("idx_approvals_status_expires", ["status", "expiresAt"])
export class ApprovalRequest {
  /** Short random id; it travels in the buttons' callback data. */
  @PrimaryColumn({ type: "varchar", length: 32 })
  id: string;

  @Column({ type: "varchar", length: 200 })
  title: string;

  @Column({ type: "text", nullable: true })
  details: string | null;

  @Column({ type: "varchar", length: 200, nullable: true })
  requester: string | null;

  /** `pending`, `approved`, `denied` or `expired`. */
  @Column({ type: "varchar", length: 16, default: "pending" })
  status: string;

  @Column({ type: Date })
  createdAt: Date;

  @Column({ type: Date })
  expiresAt: Date;

  @Column({ type: "varchar", length: 128, nullable: true })
  decidedBy: string | null;

  @Column({ type: Date, nullable: true })
  decidedAt: Date | null;

  @Column(chatIdColumn({ nullable: true }))
  chatId: number | null;

  @Column({ type: "integer", nullable: true })
  messageId: number | null;

  /** Whether the Telegram message shows the outcome (buttons removed); until then a job retries the edit. */
  @Column({ type: "boolean", default: false })
  outcomeShown: boolean;

  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. */
  @Column({ type: "varchar", length: 64, default: "" })
  host?: string;
}
