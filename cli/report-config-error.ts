import { ConfigError } from "../config/config-error.js";
import { EXIT } from "./exit-codes.js";
import { writeLine } from "./io.js";

/**
 * Runs a command body and turns a ConfigError into its lines on stderr and exit code 2 (no stack
 * trace: the lines say what to fix). Other errors propagate to the CLI's last-resort handler.
 */
export async function withConfigErrors(stderr: NodeJS.WritableStream, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) writeLine(stderr, problem);
    return EXIT.badConfig;
  }
}
