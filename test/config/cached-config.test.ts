import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../config/config-error.js";
import { loadConfig } from "../../config/load-config.js";
import { VALIDATED_SETTINGS_FILE, loadCachedConfig } from "../../config/cached-config.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { FAKE_GITHUB_TOKEN } from "../helpers/fake-tokens.js";

const YAML = "telegram:\n  admins: [7]\ntasks:\n  - name: backup\n    expect: 1d\n    env: [GITHUB_TOKEN]\n";

describe("the cached config of gaia run and gaia start", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));
  function home() {
    const h = makeTempHome();
    homes.push(h);
    return h;
  }

  it("is the Config that gaia start would load, environment included", async () => {
    const h = home();
    h.writeConfig(YAML);
    h.writeEnv({ GITHUB_TOKEN: FAKE_GITHUB_TOKEN });
    const processEnv = { GAIA_HOME: h.home };
    const launcher = await loadCachedConfig({ processEnv, cwd: "/" });
    const full = loadConfig({ processEnv, cwd: "/" });
    expect(launcher.settings).toEqual(full.settings);
    expect(launcher.paths).toEqual(full.paths);
    expect(launcher.env.dotenv.GITHUB_TOKEN.reveal()).toBe(FAKE_GITHUB_TOKEN);
    expect(Object.isFrozen(launcher)).toBe(true);
  });

  it("reuses the validated settings while gaia.yml is unchanged, and validates again after an edit", async () => {
    const h = home();
    h.writeConfig(YAML);
    const processEnv = { GAIA_HOME: h.home };
    await loadCachedConfig({ processEnv, cwd: "/" });
    const cacheFile = join(h.home, ".tmp", VALIDATED_SETTINGS_FILE);
    // Mark the cached copy: a hit returns the mark, which only the cache can hold.
    const cached = JSON.parse(readFileSync(cacheFile, "utf8"));
    cached.settings.tasks[0].name = "from-the-cache";
    writeFileSync(cacheFile, JSON.stringify(cached));
    expect((await loadCachedConfig({ processEnv, cwd: "/" })).settings.tasks[0].name).toBe("from-the-cache");

    h.writeConfig(YAML.replace("expect: 1d", "expect: 2d"));
    const edited = await loadCachedConfig({ processEnv, cwd: "/" });
    expect(edited.settings.tasks[0]).toMatchObject({ name: "backup", expectMs: 2 * 86_400_000 });
  });

  it("reports every problem of gaia.yml and .private/.env at once, as gaia start does", async () => {
    const h = home();
    h.writeConfig(YAML);
    await loadCachedConfig({ processEnv: { GAIA_HOME: h.home }, cwd: "/" }); // a valid copy is cached...
    h.writeConfig(YAML + "  - name: backup\n"); // ...and gaia.yml breaks
    h.writeEnv({ LOG_LEVEL: "loud" });
    const error = await loadCachedConfig({ processEnv: { GAIA_HOME: h.home }, cwd: "/" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      ".private/.env LOG_LEVEL: must be one of debug, info, warn, error",
      'gaia.yml:7 tasks[1].name: "backup" is already used by tasks[0]; names must be unique among services and tasks',
    ]);
  });

  it("says gaia.yml is missing in the validator's own words", async () => {
    const h = home();
    const error = await loadCachedConfig({ processEnv: { GAIA_HOME: h.home }, cwd: "/" }).catch((e: unknown) => e);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^gaia.yml: not found in /)]);
  });

  it("runs on the defaults without gaia.yml where the caller allows it (console mode), and caches nothing then", async () => {
    const h = home();
    const config = await loadCachedConfig({ processEnv: { GAIA_HOME: h.home }, cwd: "/", allowMissingSettings: (env) => !env?.telegramBotToken });
    expect(config.usingDefaults).toBe(true);
    expect(config.settings).toEqual(loadConfig({ processEnv: { GAIA_HOME: h.home }, cwd: "/", allowMissingSettings: true }).settings);
    expect(existsSync(join(h.home, ".tmp", VALIDATED_SETTINGS_FILE))).toBe(false);
  });

  it("gives a cached copy only to the same home: paths in the settings resolve against it", async () => {
    const first = home();
    const second = home();
    for (const h of [first, second]) h.writeConfig(YAML);
    await loadCachedConfig({ processEnv: { GAIA_HOME: first.home }, cwd: "/" });
    // The first home's cache, copied into the second: its key names the first home, so it is not used.
    mkdirSync(join(second.home, ".tmp"), { recursive: true });
    copyFileSync(join(first.home, ".tmp", VALIDATED_SETTINGS_FILE), join(second.home, ".tmp", VALIDATED_SETTINGS_FILE));
    const config = await loadCachedConfig({ processEnv: { GAIA_HOME: second.home }, cwd: "/" });
    expect(config.settings).toEqual(loadConfig({ processEnv: { GAIA_HOME: second.home }, cwd: "/" }).settings);
  });
});
