import { databaseTarget, describeDatabase } from "../../config/database-target.js";
import { loadEnvironment } from "../../config/load-environment.js";
import { gaiaPaths, resolveHome } from "../../config/paths.js";
import { join } from "node:path";
import { openDatabase } from "../../entities/data-source.js";
import { explainDatabaseError } from "../database-problem.js";
import { EXIT } from "../exit-codes.js";
import { writeLine, type CliIo } from "../io.js";
import { withConfigErrors } from "../report-config-error.js";

/** `gaia migrate`: applies pending migrations to gaia.db, or to PostgreSQL with `DATABASE_URL` (start does it too). */
export async function migrateCommand(io: CliIo): Promise<number> {
  const paths = gaiaPaths(resolveHome(io.processEnv, io.cwd));
  // The contract gives migrate two exit codes: an unreadable .private/.env is a failure (1) here.
  const code = await withConfigErrors(io.stderr, async () => {
    const target = databaseTarget(paths, loadEnvironment(paths, io.processEnv));
    try {
      const { dataSource, applied } = await openDatabase(target, { startupLockWaitMs: 10_000 });
      await dataSource.destroy();
      writeLine(io.stdout, applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}` : `${target.kind === "sqlite" ? "gaia.db" : "The database"} is up to date.`);
      return EXIT.ok;
    } catch (error) {
      const problem = target.kind === "sqlite" ? explainDatabaseError(error, { databaseFile: target.file, backupFolder: join(paths.tmpDir, "backups") }) : undefined;
      if (problem) {
        for (const line of problem.lines) writeLine(io.stderr, line);
        return EXIT.failure;
      }
      writeLine(io.stderr, `gaia migrate failed on ${describeDatabase(target)}: ${error instanceof Error ? error.message : String(error)}`);
      return EXIT.failure;
    }
  });
  return code === EXIT.badConfig ? EXIT.failure : code;
}
