import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** One run of a scheduled job started through `gaia run`. */
@Entity({ name: "task_runs" })
@Index("idx_task_runs_task_started", ["task", "startedAt"])
@Index("idx_task_runs_task_ended", ["task", "endedAt"])
export class TaskRun {
  @PrimaryColumn({ type: "varchar", length: 40 })
  id: string;

  @Column({ type: "varchar", length: 32 })
  task: string;

  @Column({ type: Date })
  startedAt: Date;

  @Column({ type: Date, nullable: true })
  endedAt: Date | null;

  /** `running`, `succeeded`, `failed`, `timed-out` or `lost` (its launcher died before reporting the end). */
  @Column({ type: "varchar", length: 16, default: "running" })
  status: string;

  @Column({ type: "integer", nullable: true })
  exitCode: number | null;

  @Column({ type: "integer", nullable: true })
  durationMs: number | null;

  /** The last lines of the run's output, token-shaped strings redacted. */
  @Column({ type: "text", nullable: true })
  outputTail: string | null;

  /** The `gaia run` process running the job, while it runs; null for runs reported by other scripts. */
  @Column({ type: "integer", nullable: true })
  launcherPid: number | null;

  /** The launcher's start time and boot id, "TICKS BOOT_ID": with the pid, it identifies the process. */
  @Column({ type: "varchar", length: 80, nullable: true })
  launcherStart: string | null;

  /** The host that wrote it, in a PostgreSQL database several hosts share (`DATABASE_URL`); empty in gaia.db. */
  @Column({ type: "varchar", length: 64, default: "" })
  host?: string;
}
