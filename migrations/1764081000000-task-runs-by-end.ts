import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * An index on `task_runs (task, endedAt)`: the task rules ask for a task's newest finished and
 * newest successful run on every report and every missed-run check, and a job that runs every
 * minute leaves about 130,000 rows in 90 days.
 */
export class TaskRunsByEnd1764081000000 implements MigrationInterface {
  name = "TaskRunsByEnd1764081000000";

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX "idx_task_runs_task_ended" ON "task_runs" ("task", "endedAt")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX "idx_task_runs_task_ended"`);
  }
}
