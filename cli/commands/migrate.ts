import { gaiaPaths, resolveHome } from "../../config/paths.js";
import { openDatabase } from "../../entities/data-source.js";
import { EXIT } from "../exit-codes.js";
import { writeLine, type CliIo } from "../io.js";

/** `gaia migrate`: applies pending migrations to gaia.db (start does it too). */
export async function migrateCommand(io: CliIo): Promise<number> {
  const paths = gaiaPaths(resolveHome(io.processEnv, io.cwd));
  try {
    const { dataSource, applied } = await openDatabase(paths.database);
    await dataSource.destroy();
    writeLine(io.stdout, applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}` : "gaia.db is up to date.");
    return EXIT.ok;
  } catch (error) {
    writeLine(io.stderr, `gaia migrate failed on ${paths.database}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failure;
  }
}
