import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "./config-error.js";
import { loadEnvironment } from "./load-environment.js";
import { readRegularFile } from "./read-regular-file.js";
import { gaiaPaths, resolveHome } from "./paths.js";
import type { Config, GaiaConfig } from "./types.js";
import { writePrivateFileAtomic } from "./write-private-file.js";

/** The launcher's copy of the validated gaia.yml, under `.tmp/`. */
export const LAUNCHER_SETTINGS_FILE = "launcher-settings.json";

/** The folder of gaia's compiled config module (this one), whose files identify the validator's version. */
const CONFIG_MODULE_DIR = dirname(fileURLToPath(import.meta.url));

interface CachedSettings {
  key: string;
  settings: GaiaConfig;
}

/**
 * The same `Config` as `loadConfig` (`.private/.env` with its checks, and `gaia.yml` validated,
 * every problem reported at once), for `gaia run`, which starts with every scheduled job: the
 * YAML parser and the schema validator cost more than the rest of the launcher together, so the
 * validated settings are kept in `.tmp/launcher-settings.json` and reused while gaia.yml, the home
 * folder and gaia's own config code are byte for byte the same. Any difference validates afresh.
 */
export async function loadLauncherConfig(options: { processEnv: NodeJS.ProcessEnv; cwd: string }): Promise<Config> {
  const paths = gaiaPaths(resolveHome(options.processEnv, options.cwd));
  const problems: string[] = [];
  let env: Config["env"] | undefined;
  let settings: GaiaConfig | undefined;
  try {
    env = loadEnvironment(paths, options.processEnv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  try {
    settings = await validatedSettings(paths.configFile, paths.home, join(paths.tmpDir, LAUNCHER_SETTINGS_FILE));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !env || !settings) throw new ConfigError(problems);
  return Object.freeze({ paths, env, settings, usingDefaults: false });
}

async function validatedSettings(configFile: string, home: string, cacheFile: string): Promise<GaiaConfig> {
  // Missing, unreadable, a FIFO…: the validator says so in its own words (and never waits on it).
  const read = readRegularFile(configFile, 16 * 1024 * 1024);
  const text = read.ok ? read.text : undefined;
  const key = text === undefined ? undefined : cacheKey(text, home);
  if (key !== undefined) {
    const cached = readCache(cacheFile);
    if (cached?.key === key) return cached.settings;
  }
  const { loadSettings } = await import("./load-settings.js");
  const { settings } = loadSettings(configFile, home);
  if (key !== undefined) {
    try {
      writePrivateFileAtomic(cacheFile, JSON.stringify({ key, settings } satisfies CachedSettings));
    } catch {
      // Only a cache: a read-only .tmp/ costs time, not correctness.
    }
  }
  return settings;
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
