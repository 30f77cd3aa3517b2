import { Column, Entity, PrimaryColumn } from "typeorm";

/** A named piece of state that must survive a restart: the last heartbeat, the rules' state. */
@Entity({ name: "state" })
export class StateEntry {
  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. Part of the key: each host has its own. */
  @PrimaryColumn({ type: "varchar", length: 64, default: "" })
  host?: string;

  @PrimaryColumn({ type: "varchar", length: 64 })
  key: string;

  @Column({ type: "simple-json" })
  value: unknown;

  @Column({ type: Date })
  updatedAt: Date;
}
