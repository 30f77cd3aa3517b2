import { ConfigError } from "./config-error.js";
import { collectProblems } from "./collect-problems.js";
import { loadEnvironment } from "./load-environment.js";
import { loadSettings } from "./load-settings.js";
import { gaiaPaths, resolveHome } from "./paths.js";
import type { Config } from "./types.js";

/**
 * Builds the one frozen `Config` of a gaia home: paths, `gaia.yml` and the environment.
 * Problems in both files are reported together, so one run of `gaia check` lists them all.
 */
export function loadConfig(options: {
  processEnv: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether a missing gaia.yml is fine (console mode); may depend on the environment. */
  allowMissingSettings?: boolean | ((env: Config["env"] | undefined) => boolean);
}): Config {
  const paths = gaiaPaths(resolveHome(options.processEnv, options.cwd));
  const problems: string[] = [];
  const env = collectProblems(problems, () => loadEnvironment(paths, options.processEnv));
  const allowMissing = typeof options.allowMissingSettings === "function" ? options.allowMissingSettings(env) : options.allowMissingSettings;
  const loaded = collectProblems(problems, () => loadSettings(paths.configFile, paths.home, { allowMissing }));
  if (problems.length > 0 || !env || !loaded) throw new ConfigError(problems);
  return Object.freeze({ paths, env, settings: loaded.settings, usingDefaults: loaded.usingDefaults });
}
