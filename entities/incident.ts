import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** A problem from the moment it opens until it is resolved, with its figures. */
@Entity({ name: "incidents" })
@Index("idx_incidents_key_status", ["key", "status"])
@Index("idx_incidents_subject", ["subjectName", "openedAt"])
export class Incident {
  @PrimaryGeneratedColumn({ type: "integer" })
  id: number;

  /** The rule's condition key, e.g. `service:agent:down` or `host:cpu`. */
  @Column({ type: "varchar", length: 128 })
  key: string;

  /** `service`, `host` or `task`. */
  @Column({ type: "varchar", length: 16 })
  subjectKind: string;

  @Column({ type: "varchar", length: 64 })
  subjectName: string;

  /** `down`, `cpu`, `memory`, `disk`, `flapping`, `failed`, `missed`. */
  @Column({ type: "varchar", length: 16 })
  condition: string;

  /** `open` or `resolved`. */
  @Column({ type: "varchar", length: 16, default: "open" })
  status: string;

  @Column({ type: Date })
  openedAt: Date;

  @Column({ type: Date, nullable: true })
  resolvedAt: Date | null;

  @Column({ type: Date, nullable: true })
  acknowledgedAt: Date | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  acknowledgedBy: string | null;

  /** Opened while muted: recorded, not sent. */
  @Column({ type: "boolean", default: false })
  muted: boolean;

  /** An alert about it was queued (opened unmuted, or a reminder spoke of it): its recovery is news. */
  @Column({ type: "boolean", default: false })
  announced: boolean;

  /** When its last opened or reminder alert fell due; reminders count from here. */
  @Column({ type: Date, nullable: true })
  lastNotifiedAt: Date | null;

  @Column({ type: "simple-json", nullable: true })
  figures: Record<string, unknown> | null;

  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. */
  @Column({ type: "varchar", length: 64, default: "" })
  host?: string;
}
