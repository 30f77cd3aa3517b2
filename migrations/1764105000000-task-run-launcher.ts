import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `task_runs.launcherPid` and `task_runs.launcherStart`: which `gaia run` process is running the
 * job (its pid, and its start time and boot id, "TICKS BOOT_ID"), so that a run whose launcher
 * was killed (SIGKILL, a power cut) is closed as `lost` instead of "running" forever. Both are
 * null for runs reported by other scripts and for rows written before.
 */
export class TaskRunLauncher1764105000000 implements MigrationInterface {
  name = "TaskRunLauncher1764105000000";

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "task_runs" ADD COLUMN "launcherPid" integer`);
    await db.query(`ALTER TABLE "task_runs" ADD COLUMN "launcherStart" varchar(80)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "task_runs" DROP COLUMN "launcherStart"`);
    await db.query(`ALTER TABLE "task_runs" DROP COLUMN "launcherPid"`);
  }
}
