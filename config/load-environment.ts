import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { ConfigError } from "./config-error.js";
import { describeUnreadable, readRegularFile } from "./read-regular-file.js";
import { Secret } from "./secret.js";
import type { GaiaEnvironment, GaiaPaths, LogLevel } from "./types.js";

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Variables that are gaia's own credentials: `gaia run` passes them to a job only when named. */
export const GAIA_OWN_SECRETS = ["TELEGRAM_BOT_TOKEN", "GAIA_API_TOKEN", "GITHUB_APP_PRIVATE_KEY_FILE", "DATABASE_URL"] as const;

/**
 * Reads `.private/.env` (refusing one readable by group or others) and merges the process
 * environment over it. Every problem is one line naming the variable, where it came from and the
 * fix; values are never echoed, since they may be secrets.
 */
export function loadEnvironment(paths: GaiaPaths, processEnv: NodeJS.ProcessEnv): GaiaEnvironment {
  const dotenv = readDotenv(paths);
  const problems: string[] = [];
  const origin = (name: string) => (processEnv[name] !== undefined ? "environment" : ".private/.env");
  const get = (name: string): string | undefined => {
    const value = processEnv[name] ?? dotenv[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const problem = (name: string, message: string) => problems.push(`${origin(name)} ${name}: ${message}`);

  const botToken = get("TELEGRAM_BOT_TOKEN");
  if (botToken !== undefined && !/^\d{5,15}:[A-Za-z0-9_-]{30,}$/.test(botToken)) {
    problem("TELEGRAM_BOT_TOKEN", "does not look like a bot token (digits, a colon, then 35 letters); copy it again from @BotFather");
  }
  const telegramApiRoot = urlOrProblem(get("TELEGRAM_API_ROOT") ?? "https://api.telegram.org", "TELEGRAM_API_ROOT", problem);
  const githubApiUrl = urlOrProblem(get("GITHUB_API_URL") ?? "https://api.github.com", "GITHUB_API_URL", problem);

  const logLevel = (get("LOG_LEVEL") ?? "info").toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) problem("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`);

  const apiToken = get("GAIA_API_TOKEN");
  if (apiToken !== undefined && apiToken.length < 16) {
    problem("GAIA_API_TOKEN", "is shorter than 16 characters; use a long random value, e.g. the output of `openssl rand -hex 32`, or unset it to let gaia make one");
  }

  const appId = get("GITHUB_APP_ID");
  const installationId = get("GITHUB_APP_INSTALLATION_ID");
  const keyFile = get("GITHUB_APP_PRIVATE_KEY_FILE");
  let githubApp: GaiaEnvironment["githubApp"];
  if (appId || installationId || keyFile) {
    if (!appId || !installationId || !keyFile) {
      problems.push(".private/.env GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY_FILE: set all three for identity app, or none");
    } else {
      const keyPath = isAbsolute(keyFile) ? keyFile : resolve(paths.home, keyFile);
      if (relative(paths.privateDir, keyPath).startsWith("..")) {
        problem("GITHUB_APP_PRIVATE_KEY_FILE", "must point to a file under .private/ so that the key stays with the other secrets");
      } else if (!existsSync(keyPath)) {
        problem("GITHUB_APP_PRIVATE_KEY_FILE", `no file at ${relative(paths.home, keyPath)}; download the key from the App's settings and save it there`);
      }
      if (!/^\d+$/.test(appId)) problem("GITHUB_APP_ID", "must be the App's numeric id");
      if (!/^\d+$/.test(installationId)) problem("GITHUB_APP_INSTALLATION_ID", "must be the installation's numeric id");
      githubApp = { appId, installationId, privateKeyFile: keyPath };
    }
  }

  const gaiaHost = get("GAIA_HOST");
  if (gaiaHost !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(gaiaHost)) {
    problem("GAIA_HOST", "must be 1-64 letters, digits, dots, dashes or underscores (this host's name in a shared database)");
  }
  const databaseUrl = get("DATABASE_URL");
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/./.test(databaseUrl)) {
    problem("DATABASE_URL", "must be a PostgreSQL URL, postgres://user:password@host:5432/gaia; remove it to keep the audit trail in gaia.db");
  }

  // The variable libdbus itself reads; gaia only needs it for unit services (tests point it at a private bus).
  const systemBusAddress = get("DBUS_SYSTEM_BUS_ADDRESS");
  if (systemBusAddress !== undefined && !/^[a-z]+:/.test(systemBusAddress)) {
    problem("DBUS_SYSTEM_BUS_ADDRESS", "must be a D-Bus address, e.g. unix:path=/var/run/dbus/system_bus_socket");
  }

  if (problems.length > 0) throw new ConfigError(problems);
  const githubToken = get("GITHUB_TOKEN");
  return Object.freeze({
    ...(botToken ? { telegramBotToken: new Secret(botToken) } : {}),
    telegramApiRoot: telegramApiRoot.replace(/\/+$/, ""),
    ...(githubToken ? { githubToken: new Secret(githubToken) } : {}),
    ...(githubToken && processEnv.GITHUB_TOKEN !== undefined ? { githubTokenFromProcess: true } : {}),
    ...(githubApp ? { githubApp } : {}),
    githubApiUrl: githubApiUrl.replace(/\/+$/, ""),
    ...(apiToken ? { apiToken: new Secret(apiToken) } : {}),
    ...(databaseUrl ? { databaseUrl: new Secret(databaseUrl) } : {}),
    ...(gaiaHost ? { host: gaiaHost } : {}),
    ...(systemBusAddress ? { systemBusAddress } : {}),
    logLevel: logLevel as LogLevel,
    dotenv: Object.freeze(Object.fromEntries(Object.entries(dotenv).map(([name, value]) => [name, new Secret(value)]))),
  });
}

/** True when `.private/.env` exists (console mode hints at creating it otherwise). */
export function hasDotenv(paths: GaiaPaths): boolean {
  return existsSync(paths.envFile);
}

/** A .env of secrets is a few KiB; a bigger one is a mistake (or a device), not read whole. */
const MAX_DOTENV_BYTES = 1024 * 1024;

function readDotenv(paths: GaiaPaths): Record<string, string> {
  // Never blocks on a FIFO, never reads a device: see readRegularFile.
  const read = readRegularFile(paths.envFile, MAX_DOTENV_BYTES);
  if (!read.ok) {
    if (read.problem === "missing") return {};
    const fix =
      read.problem === "dangling-link"
        ? "point it at your secrets file, or remove the link to run without one"
        : read.problem === "directory"
          ? "move it away and write the secrets as KEY=value lines in the file .private/.env (see .private.example/.env)"
          : read.problem === "unreadable"
            ? "make it a file readable by the user running gaia, mode 600"
            : "make it a plain file of KEY=value lines, mode 600 (gaia reads it once at start and will not wait on it)";
    throw new ConfigError([`.private/.env: ${describeUnreadable(read)}; ${fix}`]);
  }
  const mode = read.mode;
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new ConfigError([
      `.private/.env: readable by group or others (mode ${mode.toString(8)}); secrets must be private: run chmod 600 ${paths.envFile}`,
    ]);
  }
  const text = read.text;
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (!/^(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(trimmed)) {
      problems.push(`.private/.env:${index + 1}: not a KEY=value line; write it as NAME=value (the value is not shown here)`);
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return parseDotenv(text);
}

function urlOrProblem(value: string, name: string, problem: (name: string, message: string) => void): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {
    // reported below
  }
  problem(name, "must be an http(s) URL, e.g. https://api.telegram.org");
  return value;
}
