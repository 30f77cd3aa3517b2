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

  /** `running`, `succeeded`, `failed` or `timed-out`. */
  @Column({ type: "varchar", length: 16, default: "running" })
  status: string;

  @Column({ type: "integer", nullable: true })
  exitCode: number | null;

  @Column({ type: "integer", nullable: true })
  durationMs: number | null;

  /** The last lines of the run's output, token-shaped strings redacted. */
  @Column({ type: "text", nullable: true })
  outputTail: string | null;
}
