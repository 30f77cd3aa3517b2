/**
 * What the monitoring end-to-end tests share: a home folder with a fake Telegram, short probe
 * periods, and real child processes to watch (an idle "service" and a CPU burner that burns only
 * while its flag file exists). Everything started here is stopped by `cleanup()`.
 */
import { expect } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import Database from "better-sqlite3";
import { FakeTelegram, type SentMessage } from "../fakes/telegram.js";
import { freePort, startGaia, type GaiaProcess } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

export const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
export const ADMIN = 4242;
/** The kernel's name for the node binary (what `match.process` compares with). */
export const NODE_NAME = basename(process.execPath).slice(0, 15);

/** A watched test process: its pid file lets the tests find it even when gaia restarted it. */
const SERVICE_SCRIPT = `
const fs = require("fs");
const [pidFile, flag] = process.argv.slice(2);
fs.writeFileSync(pidFile, String(process.pid));
setInterval(() => {
  // With a flag file, burn one core for most of each second (a CPU-hungry service).
  if (flag && fs.existsSync(flag)) { const end = Date.now() + 900; while (Date.now() < end) {} }
}, 100);
`;

export interface MonitoringHarness {
  tg: FakeTelegram;
  home: string;
  port: number;
  /** Starts `gaia start` in the home folder (with `env` added to its environment). */
  startGaia(env?: Record<string, string>): GaiaProcess;
  /** Starts a watched process whose command line contains `marker`; it burns CPU while `flag` exists. */
  startService(marker: string, flag?: string): Promise<ChildProcess>;
  /** The shell command that starts the same process in the background (for `restart:`). */
  restartCommand(marker: string): string;
  /** Kills the process of `marker` (whoever started it) and waits until it is gone. */
  killService(marker: string): Promise<void>;
  /** Messages the bot sent whose plain text matches. */
  sent(pattern: RegExp): SentMessage[];
  /** Rows of a read-only query on gaia.db, as another process would read it. */
  query<T>(sql: string): T[];
  /** The value of a /metrics line, e.g. `gaia_service_up{service="agent"}`. */
  metric(line: string): Promise<number | undefined>;
  /** gaia's output (without debug lines) and what the fake saw, for a failing test's report. */
  dump(): string;
  cleanup(): Promise<void>;
}

/** Makes a home folder with `gaia.yml` (the given services block and short periods) and a fake Telegram. */
export async function monitoringHarness(yaml: (ctx: { home: string }) => string): Promise<MonitoringHarness> {
  const tg = await FakeTelegram.start({ token: TOKEN });
  const temp = makeTempHome("gaia-monitoring-");
  const port = await freePort();
  const home = temp.home;
  writeFileSync(join(home, "service.cjs"), SERVICE_SCRIPT);
  temp.writeConfig(
    [
      `telegram:\n  admins: [${ADMIN}]`,
      `api:\n  listen: 127.0.0.1:${port}`,
      "probe:\n  every: 1s",
      // Host thresholds out of reach, so that a busy CI machine cannot add alerts of its own.
      "host:\n  cpu: 100\n  memory: 100\n  disk: 100\n  sustain: 2",
      yaml({ home }),
    ].join("\n") + "\n",
  );
  temp.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
  const gaias: GaiaProcess[] = [];
  const pidFile = (marker: string) => join(home, `${marker}.pid`);

  const killByPidFile = async (marker: string) => {
    const file = pidFile(marker);
    if (!existsSync(file)) return;
    const pid = Number(readFileSync(file, "utf8"));
    rmSync(file, { force: true });
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      return; // already gone
    }
    // Wait until the kernel has reaped it (gaia's probe must not see it any more).
    for (let i = 0; i < 100; i++) {
      if (!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z")) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  return {
    tg,
    home,
    port,
    startGaia(env = {}) {
      const gaia = startGaia(["start"], { home, env: { LOG_LEVEL: "info", ...env } });
      gaias.push(gaia);
      return gaia;
    },
    async startService(marker, flag) {
      rmSync(pidFile(marker), { force: true });
      const child = spawn(process.execPath, [join(home, "service.cjs"), pidFile(marker), flag ?? "", marker], { stdio: "ignore" });
      child.on("error", () => undefined);
      for (let i = 0; i < 200 && !existsSync(pidFile(marker)); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      return child;
    },
    restartCommand: (marker) => serviceRestartCommand(home, marker),
    killService: killByPidFile,
    sent(pattern) {
      return tg.messages(ADMIN).filter((m) => pattern.test(m.plainText));
    },
    query<T>(sql: string) {
      const db = new Database(join(home, "gaia.db"), { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    },
    async metric(line) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
      if (!response?.ok) return undefined;
      const text = await response.text();
      const found = text.split("\n").find((l) => l.startsWith(`${line} `));
      return found ? Number(found.slice(line.length + 1)) : undefined;
    },
    dump() {
      const logs = gaias.map((g, i) => `--- gaia #${i + 1} ---\n${g.output().split("\n").filter((l) => !l.includes('"level":"debug"')).join("\n")}`);
      return [...logs, "--- fake Telegram ---", tg.describe()].join("\n");
    },
    async cleanup() {
      for (const gaia of gaias) await gaia.stop("SIGKILL");
      for (const file of readdirSync(home).filter((f) => f.endsWith(".pid"))) await killByPidFile(file.slice(0, -4));
      await tg.stop();
      temp.cleanup();
    },
  };
}

/** The shell command that starts the watched process of `marker` in the background (for `restart:`). */
export function serviceRestartCommand(home: string, marker: string): string {
  return `${process.execPath} ${join(home, "service.cjs")} ${join(home, `${marker}.pid`)} '' ${marker} > /dev/null 2>&1 &`;
}

/**
 * The buttons a message offers for `subject`, labelled as on a single alert ("Ack", "Mute 1h",
 * "Restart"): a grouped message names the subject in each label ("Mute agent 1h"), and may carry
 * another subject's buttons too (say, the host's, on a CI machine that is busy itself).
 */
export function alertButtons(message: SentMessage, subject: string): { label: string; data: string }[] {
  const single = new Set(["Ack", "Mute 1h", "Restart"]);
  return message.buttons.flatMap((button) => {
    const words = button.text.split(" ");
    if (single.has(button.text)) return [{ label: button.text, data: button.callbackData! }];
    if (words.includes(subject)) return [{ label: words.filter((w) => w !== subject).join(" "), data: button.callbackData! }];
    return [];
  });
}

/** Sends /status as the admin and returns the text of gaia's answer. */
export async function askStatus(tg: FakeTelegram): Promise<string> {
  const waiting = tg.waitForMessage(/^Gaia · /, { chatId: ADMIN, newOnly: true, timeoutMs: 15_000 });
  tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/status" });
  return (await waiting).plainText;
}

/**
 * Presses a down alert's Restart, then the "⚠️ Confirm restart NAME" it turns into, as an admin
 * does, and waits for gaia's "Restarted NAME: exit code 0".
 */
export async function restartFromAlert(tg: FakeTelegram, down: SentMessage, name: string): Promise<void> {
  const restart = alertButtons(down, name).find((b) => b.label === "Restart");
  expect(restart, "the alert's Restart button").toBeDefined();
  const first = tg.pressButton({ chatId: ADMIN, messageId: down.messageId, fromId: ADMIN, data: restart!.data });
  expect((await tg.waitForCallbackAnswer(first)).text).toContain("Confirm restart");
  const current = () => tg.messages(ADMIN).find((m) => m.messageId === down.messageId)!;
  const confirmText = `⚠️ Confirm restart ${name}`;
  await eventually(() => current().buttons.some((b) => b.text === confirmText), 5000, "confirm button shown");
  const confirm = current().buttons.find((b) => b.text === confirmText)!.callbackData!;
  tg.pressButton({ chatId: ADMIN, messageId: down.messageId, fromId: ADMIN, data: confirm });
  await tg.waitForMessage(new RegExp(`Restarted ${name}: exit code 0`), { timeoutMs: 15_000 });
}

/** Polls `check` every 100 ms until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}

