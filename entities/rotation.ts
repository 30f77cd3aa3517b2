import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** The steps of a rotation, in order; `step` holds the last one completed. */
export const ROTATION_STEPS = ["requested", "staged", "verified", "approved", "stored", "smoke-tested", "old-revoked", "old-dead", "done"] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/**
 * One token rotation and how far it got. Tokens are never here: only their fingerprints. The
 * pending and previous tokens wait in `.private/rotation-stages.json` while `outcome` is `running`.
 */
@Entity({ name: "rotations" })
@Index("idx_rotations_outcome", ["outcome", "startedAt"])
export class Rotation {
  @PrimaryGeneratedColumn({ type: "integer" })
  id: number;

  /** `pat` or `app`. */
  @Column({ type: "varchar", length: 8 })
  identity: string;

  /** What started it: `chat`, `schedule`. */
  @Column({ type: "varchar", length: 16 })
  trigger: string;

  /** Who started it: `telegram:123`, `system`. */
  @Column({ type: "varchar", length: 64 })
  requestedBy: string;

  /** The last step completed (see ROTATION_STEPS). */
  @Column({ type: "varchar", length: 16 })
  step: string;

  /** `running`, `done`, `rolled-back`. */
  @Column({ type: "varchar", length: 16, default: "running" })
  outcome: string;

  /** The account the tokens belong to. */
  @Column({ type: "varchar", length: 100, nullable: true })
  login: string | null;

  @Column({ type: "varchar", length: 80, nullable: true })
  oldFingerprint: string | null;

  @Column({ type: "varchar", length: 80, nullable: true })
  newFingerprint: string | null;

  /** When the new token expires, when GitHub says so. */
  @Column({ type: Date, nullable: true })
  newExpiresAt: Date | null;

  @Column({ type: Date })
  startedAt: Date;

  @Column({ type: Date })
  updatedAt: Date;

  @Column({ type: Date, nullable: true })
  finishedAt: Date | null;

  /** Why it was rolled back, or a warning on a finished one (old token still alive). */
  @Column({ type: "text", nullable: true })
  error: string | null;

  /** Warnings and the stores written, as data. */
  @Column({ type: "simple-json", nullable: true })
  details: Record<string, unknown> | null;

  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. */
  @Column({ type: "varchar", length: 64, default: "" })
  host?: string;
}
