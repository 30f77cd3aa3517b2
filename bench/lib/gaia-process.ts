/**
 * Homes and processes of the real, compiled `gaia` CLI for the benchmark: each run gets its own
 * home folder, API port and bot token, and talks to its own fake Telegram.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { freePort } from "../../test/helpers/gaia-process.js";
import { SHIPPED_NODE_FLAGS } from "./shipped-node-flags.js";

/**
 * The shipped CLI: the bundle in dist/ that `npm run bench` builds first (`npm run build`), not
 * the bench's own tsc output in dist-bench/, which only the in-process figures use.
 */
export const GAIA_BIN = fileURLToPath(new URL("../../../dist/cli/gaia.js", import.meta.url));

/** The one admin of every benchmark home; approval requests and alerts go to this chat. */
export const ADMIN_ID = 424242;

/** A service or task entry as written in gaia.yml. */
export type YamlEntry = Record<string, unknown>;

/** A gaia home folder with its gaia.yml. */
export interface GaiaHome {
  home: string;
  apiPort: number;
  remove(): void;
}

/** A bot token and the fake Telegram that accepts it. */
export interface TelegramEndpoint {
  token: string;
  apiRoot: string;
}

/**
 * Writes a home folder: gaia.yml with the given sections on top of the defaults, and
 * .private/.env (0600) with the bot token and the fake's API root, as a user would keep them.
 */
export async function makeGaiaHome(
  settings: { services?: YamlEntry[]; tasks?: YamlEntry[]; probeEvery?: string },
  telegram: TelegramEndpoint,
): Promise<GaiaHome> {
  const home = mkdtempSync(join(tmpdir(), "gaia-bench-home-"));
  const apiPort = await freePort();
  const yaml: Record<string, unknown> = {
    telegram: { admins: [ADMIN_ID] },
    api: { listen: `127.0.0.1:${apiPort}` },
    services: settings.services ?? [],
    tasks: settings.tasks ?? [],
  };
  if (settings.probeEvery) yaml.probe = { every: settings.probeEvery };
  writeFileSync(join(home, "gaia.yml"), stringify(yaml));
  mkdirSync(join(home, ".private"), { recursive: true, mode: 0o700 });
  const envFile = join(home, ".private", ".env");
  writeFileSync(envFile, `TELEGRAM_BOT_TOKEN=${telegram.token}\nTELEGRAM_API_ROOT=${telegram.apiRoot}\n`, { mode: 0o600 });
  chmodSync(envFile, 0o600);
  return { home, apiPort, remove: () => rmSync(home, { recursive: true, force: true }) };
}

/** The environment of a gaia process: only what it needs, so the host's variables cannot skew a run. */
export function gaiaEnvironment(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, GAIA_HOME: home, LOG_LEVEL: "info" };
}

/** A running process of the benchmark (gaia or the bare bot). */
export interface BenchProcess {
  child: ChildProcess;
  pid: number;
  /** performance.now() just before the spawn. */
  spawnedAt: number;
  /** The last 20 KB of its output, for error messages. */
  output(): string;
  exited: Promise<number>;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number>;
}

/** Starts `node ARGS` with its output collected (and drained, so a full pipe never blocks it). */
export function startNodeProcess(args: string[], options: { cwd: string; env: Record<string, string> }): BenchProcess {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const collect = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  // An interrupted benchmark must not leave a gaia running.
  const killNow = () => child.kill("SIGKILL");
  process.on("exit", killNow);
  const exited = new Promise<number>((resolve) =>
    child.on("exit", (code, signal) => {
      process.off("exit", killNow);
      resolve(code ?? (signal ? 128 : 0));
    }),
  );
  return {
    child,
    pid: child.pid!,
    spawnedAt,
    output: () => text,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Starts `gaia start` in `home` (whose .private/.env names the fake Telegram). */
export function startGaia(home: string): BenchProcess {
  return startNodeProcess([...SHIPPED_NODE_FLAGS, GAIA_BIN, "start"], { cwd: home, env: gaiaEnvironment(home) });
}

/** Runs `gaia ARGS` to completion; resolves with its exit code, output and wall time. */
export async function runGaia(
  args: string[],
  home: string,
  options: { onSpawn?: (child: ChildProcess) => void; timeoutMs?: number } = {},
): Promise<{ code: number; output: string; wallMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [GAIA_BIN, ...args], { cwd: home, env: gaiaEnvironment(home), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  options.onSpawn?.(child);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  return { code: code ?? (signal ? 128 : 0), output, wallMs };
}

/** The commands the compiled `gaia` offers (from its usage text), to measure only what has landed. */
export async function gaiaCommands(): Promise<Set<string>> {
  const home = mkdtempSync(join(tmpdir(), "gaia-bench-usage-"));
  try {
    const { output } = await runGaia(["--help"], home);
    return new Set([...output.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}


/**
 * Waits for `promise`, failing with the process's output if the process exits first (a bad
 * config, a crash) instead of waiting for a timeout.
 */
export function whileRunning<T>(running: BenchProcess, promise: Promise<T>, what: string): Promise<T> {
  const exitedFirst = running.exited.then((code) => {
    throw new Error(`${what}: the process exited with code ${code} first; its output:\n${running.output()}`);
  });
  exitedFirst.catch(() => undefined); // reported through the race when it comes first
  return Promise.race([promise, exitedFirst]);
}

/**
 * How many configured services the running monitor sees up, from its local API (`GET /v1/status`
 * with the token gaia made in .private/api-token): proof that a figure was taken while gaia was
 * really watching them.
 */
export async function servicesUp(home: GaiaHome): Promise<{ up: number; configured: number }> {
  const token = readFileSync(join(home.home, ".private", "api-token"), "utf8").trim();
  const response = await fetch(`http://127.0.0.1:${home.apiPort}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET /v1/status answered ${response.status}`);
  const status = (await response.json()) as { services: { state: string }[] };
  return { up: status.services.filter((s) => s.state === "up").length, configured: status.services.length };
}
