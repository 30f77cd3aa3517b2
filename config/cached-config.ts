import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "./config-error.js";
import { collectProblems, collectProblemsAsync } from "./collect-problems.js";
import { loadEnvironment } from "./load-environment.js";
import { readRegularFile } from "./read-regular-file.js";
import { gaiaPaths, resolveHome } from "./paths.js";
import type { Config, GaiaConfig } from "./types.js";
import { writePrivateFileAtomic } from "./write-private-file.js";

/** The copy of the validated gaia.yml that `gaia start` and `gaia run` reuse, under `.tmp/`. */
export const VALIDATED_SETTINGS_FILE = "validated-settings.json";

/** The folder of gaia's compiled config module (this one), whose files identify the validator's version. */
const CONFIG_MODULE_DIR = dirname(fileURLToPath(import.meta.url));

interface CachedSettings {
  key: string;
  settings: GaiaConfig;
}

/**
 * The same `Config` as `loadConfig` (`.private/.env` with its checks, and `gaia.yml` validated,
 * every problem reported at once), for the commands whose start-up counts: `gaia run`, started
 * with every scheduled job, and `gaia start`, whose first long poll waits for it. The YAML parser
 * and the schema validator cost more than the rest of the launcher together (and a sixth of the
 * monitor's start), so the validated settings are kept in `.tmp/validated-settings.json` and
 * reused while gaia.yml, the home folder and gaia's own config code are byte for byte the same.
 * Any difference validates afresh; `gaia check` always does.
 */
export async function loadCachedConfig(options: {
  processEnv: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether a missing gaia.yml is fine (console mode), as in `loadConfig`. */
  allowMissingSettings?: (env: Config["env"] | undefined) => boolean;
}): Promise<Config> {
  const paths = gaiaPaths(resolveHome(options.processEnv, options.cwd));
  const problems: string[] = [];
  const env = collectProblems(problems, () => loadEnvironment(paths, options.processEnv));
  const allowMissing = options.allowMissingSettings?.(env) ?? false;
  const cacheFile = join(paths.tmpDir, VALIDATED_SETTINGS_FILE);
  const loaded = await collectProblemsAsync(problems, () => validatedSettings(paths.configFile, paths.home, cacheFile, allowMissing));
  if (problems.length > 0 || !env || !loaded) throw new ConfigError(problems);
  return Object.freeze({ paths, env, settings: loaded.settings, usingDefaults: loaded.usingDefaults });
}

async function validatedSettings(
  configFile: string,
  home: string,
  cacheFile: string,
  allowMissing: boolean,
): Promise<{ settings: GaiaConfig; usingDefaults: boolean }> {
  // Missing, unreadable, a FIFO…: the validator says so in its own words (and never waits on it).
  const read = readRegularFile(configFile, 16 * 1024 * 1024);
  const text = read.ok ? read.text : undefined;
  const key = text === undefined ? undefined : cacheKey(text, home);
  if (key !== undefined) {
    const cached = readCache(cacheFile);
    if (cached?.key === key) return { settings: cached.settings, usingDefaults: false };
  }
  const { loadSettings } = await import("./load-settings.js");
  const loaded = loadSettings(configFile, home, { allowMissing });
  if (key !== undefined) {
    try {
      writePrivateFileAtomic(cacheFile, JSON.stringify({ key, settings: loaded.settings } satisfies CachedSettings));
    } catch {
      // Only a cache: a read-only .tmp/ costs time, not correctness.
    }
  }
  return loaded;
}

/** What the validated settings depend on: the file's text, the home (paths resolve against it), and the validator's code. */
function cacheKey(text: string, home: string): string {
  const hash = createHash("sha256").update(text).update("\0").update(home);
  for (const name of readdirSync(CONFIG_MODULE_DIR).sort()) {
    if (!name.endsWith(".js") && !name.endsWith(".ts")) continue;
    const { size, mtimeMs } = statSync(join(CONFIG_MODULE_DIR, name));
    hash.update(`\0${name}:${size}:${mtimeMs}`);
  }
  return hash.digest("hex");
}

function readCache(file: string): CachedSettings | undefined {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as Partial<CachedSettings>;
    return typeof value.key === "string" && typeof value.settings === "object" && value.settings !== null ? (value as CachedSettings) : undefined;
  } catch {
    return undefined;
  }
}
