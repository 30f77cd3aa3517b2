import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** A probe's figures for the host or one service, kept `retention.samples` for sparklines. */
@Entity({ name: "samples" })
@Index("idx_samples_subject_at", ["subject", "at"])
export class Sample {
  @PrimaryGeneratedColumn({ type: "integer" })
  id: number;

  @Column({ type: Date })
  at: Date;

  /** `host` or a service name. */
  @Column({ type: "varchar", length: 64 })
  subject: string;

  @Column({ type: "real", nullable: true })
  cpu: number | null;

  @Column({ type: "real", nullable: true })
  memory: number | null;

  @Column({ type: "real", nullable: true })
  disk: number | null;

  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. */
  @Column({ type: "varchar", length: 64, default: "" })
  host?: string;
}
