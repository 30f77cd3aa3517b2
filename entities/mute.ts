import { Column, Entity, PrimaryColumn } from "typeorm";

/** A muted service or task (or `all`): its incidents are recorded, not sent, until `until`. */
@Entity({ name: "mutes" })
export class Mute {
  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. Part of the key: each host has its own. */
  @PrimaryColumn({ type: "varchar", length: 64, default: "" })
  host?: string;

  @PrimaryColumn({ type: "varchar", length: 64 })
  subject: string;

  @Column({ type: Date })
  until: Date;

  @Column({ type: "varchar", length: 64 })
  mutedBy: string;

  @Column({ type: Date })
  createdAt: Date;
}
