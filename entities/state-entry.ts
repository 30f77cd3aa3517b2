import { Column, Entity, PrimaryColumn } from "typeorm";

/** A named piece of state that must survive a restart: the last heartbeat, the rules' state. */
@Entity({ name: "state" })
export class StateEntry {
  @PrimaryColumn({ type: "varchar", length: 64 })
  key: string;

  @Column({ type: "simple-json" })
  value: unknown;

  @Column({ type: Date })
  updatedAt: Date;
}
