import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { inspect } from "node:util";
import { ConfigError } from "../../config/config-error.js";
import { loadEnvironment } from "../../config/load-environment.js";
import { gaiaPaths } from "../../config/paths.js";
import { makeTempHome } from "../helpers/temp-home.js";

// Shaped like real tokens, but fake: tests must never hold a real secret.
const FAKE_BOT_TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe(".private/.env and the process environment", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));
  const home = () => {
    const h = makeTempHome();
    homes.push(h);
    return h;
  };

  it("loads secrets as Secret values that print only a fingerprint, with the process environment winning", () => {
    const h = home();
    h.writeEnv({ TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN, LOG_LEVEL: "debug", BACKUP_KEY: "from-file" });
    const env = loadEnvironment(gaiaPaths(h.home), { LOG_LEVEL: "warn" });
    expect(env.logLevel).toBe("warn");
    expect(env.telegramBotToken?.reveal()).toBe(FAKE_BOT_TOKEN);
    for (const printed of [String(env.telegramBotToken), JSON.stringify(env), inspect(env)]) {
      expect(printed).not.toContain(FAKE_BOT_TOKEN);
    }
    expect(String(env.telegramBotToken)).toMatch(/^123456789:…e123 \(sha256:[0-9a-f]{8}\)$/);
    expect(env.dotenv.BACKUP_KEY.reveal()).toBe("from-file");
    expect(env.telegramApiRoot).toBe("https://api.telegram.org");
  });

  it("refuses a .env readable by group or others and prints the chmod that fixes it", () => {
    const h = home();
    h.writeEnv({ LOG_LEVEL: "info" }, 0o644);
    const paths = gaiaPaths(h.home);
    expect(problemsOf(() => loadEnvironment(paths, {}))).toEqual([
      `.private/.env: readable by group or others (mode 644); secrets must be private: run chmod 600 ${paths.envFile}`,
    ]);
  });

  it("names every malformed variable, where it came from and the fix, without echoing values", () => {
    const h = home();
    h.writeEnv({ TELEGRAM_BOT_TOKEN: "not-a-token-SECRETVALUE", TELEGRAM_API_ROOT: "ftp://x", GAIA_API_TOKEN: "short", GITHUB_APP_ID: "12" });
    const problems = problemsOf(() => loadEnvironment(gaiaPaths(h.home), { LOG_LEVEL: "loud" }));
    expect(problems).toEqual([
      ".private/.env TELEGRAM_BOT_TOKEN: does not look like a bot token (digits, a colon, then 35 letters); copy it again from @BotFather",
      ".private/.env TELEGRAM_API_ROOT: must be an http(s) URL, e.g. https://api.telegram.org",
      "environment LOG_LEVEL: must be one of debug, info, warn, error",
      ".private/.env GAIA_API_TOKEN: is shorter than 16 characters; use a long random value, e.g. the output of `openssl rand -hex 32`, or unset it to let gaia make one",
      ".private/.env GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY_FILE: set all three for identity app, or none",
    ]);
    expect(problems.join("\n")).not.toContain("SECRETVALUE");
  });

  it("points at the line of a .env line that is not KEY=value, without showing it", () => {
    const h = home();
    h.writeEnv("# comment\nLOG_LEVEL=info\nthis is my password hunter2\n");
    expect(problemsOf(() => loadEnvironment(gaiaPaths(h.home), {}))).toEqual([
      ".private/.env:3: not a KEY=value line; write it as NAME=value (the value is not shown here)",
    ]);
  });

  it("says a .env that is a directory is one (whatever its mode), not 'chmod 600'", () => {
    for (const mode of [0o700, 0o755]) {
      const h = home();
      const paths = gaiaPaths(h.home);
      mkdirSync(paths.envFile, { recursive: true });
      chmodSync(paths.envFile, mode);
      expect(problemsOf(() => loadEnvironment(paths, {}))).toEqual([
        ".private/.env: is a directory, not a file; move it away and write the secrets as KEY=value lines in the file .private/.env (see .private.example/.env)",
      ]);
    }
  });

  it("refuses a .env that is a FIFO at once (no wait for a writer), and a dangling link (not 'no .env')", () => {
    const h = home();
    const paths = gaiaPaths(h.home);
    mkdirSync(paths.privateDir, { recursive: true, mode: 0o700 });
    execFileSync("mkfifo", ["-m", "600", paths.envFile]);
    expect(problemsOf(() => loadEnvironment(paths, {}))).toEqual([
      ".private/.env: is a FIFO, socket or device, not a regular file; make it a plain file of KEY=value lines, mode 600 (gaia reads it once at start and will not wait on it)",
    ]);
    rmSync(paths.envFile);
    symlinkSync("/nowhere/secrets.env", paths.envFile);
    expect(problemsOf(() => loadEnvironment(paths, {}))).toEqual([
      ".private/.env: is a symbolic link to /nowhere/secrets.env, which does not exist; point it at your secrets file, or remove the link to run without one",
    ]);
  });

  it("works without any .env file", () => {
    const h = home();
    const env = loadEnvironment(gaiaPaths(h.home), {});
    expect(env.telegramBotToken).toBeUndefined();
    expect(env.logLevel).toBe("info");
  });
});
