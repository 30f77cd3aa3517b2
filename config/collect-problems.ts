import { ConfigError } from "./config-error.js";

/**
 * Runs one step of loading the config and keeps the problems of a `ConfigError` it throws in
 * `problems` (undefined is returned then), so that `.private/.env` and `gaia.yml` are both checked
 * and every problem is reported at once. Any other error is a bug and propagates.
 */
export function collectProblems<T>(problems: string[], step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    return keepProblems(problems, error);
  }
}

/** `collectProblems` for a step that works asynchronously. */
export async function collectProblemsAsync<T>(problems: string[], step: () => Promise<T>): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    return keepProblems(problems, error);
  }
}

function keepProblems(problems: string[], error: unknown): undefined {
  if (!(error instanceof ConfigError)) throw error;
  problems.push(...error.problems);
  return undefined;
}
