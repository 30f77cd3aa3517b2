import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** One line of the audit trail: every event, decision and rotation step, never a secret. */
@Entity({ name: "events" })
@Index("idx_events_at", ["at"])
@Index("idx_events_subject", ["subject", "at"])
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: "integer" })
  id: number;

  @Column({ type: Date })
  at: Date;

  /** Dotted kind such as `service.down`, `approval.decided`, `auth.denied`, `monitor.started`. */
  @Column({ type: "varchar", length: 64 })
  kind: string;

  /** Who caused it: `system`, `telegram:123456`, `console`, `api`, `cli`. */
  @Column({ type: "varchar", length: 64, default: "system" })
  actor: string;

  /** What it is about: a service, task or approval id; null for the monitor itself. */
  @Column({ type: "varchar", length: 128, nullable: true })
  subject: string | null;

  @Column({ type: "text" })
  message: string;

  @Column({ type: "simple-json", nullable: true })
  details: Record<string, unknown> | null;

  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. */
  @Column({ type: "varchar", length: 64, default: "" })
  host?: string;
}
