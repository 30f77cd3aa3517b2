/**
 * A secret of `.private/.env` on a process's command line, as `mysqldump --password=…` puts it
 * there, never leaves the host through gaia: not in a Bot API call, not in a gaia.db row, not in
 * any file under the home (issue 13, item 1). The process is the busiest by memory, so the host
 * memory alert and /top both name it; a restart command and a scheduled job print the secret too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { TOKEN } from "./monitoring-harness.js";
import { freePort, runGaia, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { alertButtons, eventually } from "./monitoring-harness.js";

const ADMIN = 4242;
const HOG_BYTES = 768 * 1024 * 1024;

describe("a secret on a process's command line", () => {
  const defer = deferCleanups();

  it("never appears in a Bot API call, a gaia.db row or a file under the home, while alerts, /top, a restart and a job show it redacted", async () => {
    // In .private/.env: redacted as a known value. Not in it: redacted as the value of --token.
    const canary = `Canary${randomBytes(6).toString("hex")}`;
    const flagCanary = `flagcanary${randomBytes(6).toString("hex")}`;
    const token = TOKEN;
    const tg = await FakeTelegram.start({ token });
    defer(() => tg.stop());
    const temp = makeTempHome("gaia-redaction-");
    defer(() => temp.cleanup());
    const home = temp.home;
    const port = await freePort();
    temp.writeConfig(
      [
        `telegram:\n  admins: [${ADMIN}]`,
        `api:\n  listen: 127.0.0.1:${port}`,
        "probe:\n  every: 1s",
        // Memory at 1%: the host memory alert opens at once and names the busiest processes.
        "host:\n  cpu: 100\n  memory: 1\n  disk: 100\n  sustain: 1",
        "services:",
        "  - name: db",
        "    match: { process: no-such-process-e2e }",
        "    restart: cat .private/.env",
        "tasks:\n  - name: dump",
      ].join("\n") + "\n",
    );
    temp.writeEnv({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: tg.apiRoot, MYSQL_PASSWORD: canary });

    // The busiest process by memory, named like a database dump with the password on its command line.
    const hog = spawn(
      "bash",
      ["-c", `exec -a "mysqldump --password=${canary} --token ${flagCanary} -p${canary} --host db" "${process.execPath}" -e "$0"`, HOG_SCRIPT],
      { stdio: ["pipe", "ignore", "inherit"] },
    );
    defer(() => stop(hog));
    await eventually(() => residentBytes(hog.pid!) > HOG_BYTES * 0.9, 30_000, "the memory hog is resident");

    const gaia = startGaia(["start"], { home, env: { LOG_LEVEL: "debug" } });
    defer(() => gaia.stop("SIGKILL"));
    try {
      const alert = await tg.waitForMessage(/Top processes by memory/, { timeoutMs: 30_000 });
      expect(alert.plainText).toContain(`mysqldump --password=[REDACTED] --token [REDACTED] -p[REDACTED]`);

      tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/top memory" });
      const top = await tg.waitForMessage(/Top processes by memory ·/, { timeoutMs: 30_000 });
      expect(top.plainText).toContain("mysqldump --password=[REDACTED]");

      // Restart of the down service: its command prints .private/.env.
      const down = await tg.waitForMessage(/db is down/, { timeoutMs: 30_000 });
      const restart = alertButtons(down, "db").find((b) => b.label === "Restart")!;
      tg.pressButton({ chatId: ADMIN, messageId: down.messageId, fromId: ADMIN, data: restart.data });
      await eventually(() => tg.messages(ADMIN).some((m) => m.buttons.some((b) => b.text === "⚠️ Confirm restart db")), 10_000, "confirm button");
      const confirm = tg.messages(ADMIN).flatMap((m) => m.buttons.map((b) => ({ m, b }))).find(({ b }) => b.text === "⚠️ Confirm restart db")!;
      tg.pressButton({ chatId: ADMIN, messageId: confirm.m.messageId, fromId: ADMIN, data: confirm.b.callbackData! });
      const restarted = await tg.waitForMessage(/Restarted db: exit code 0/, { timeoutMs: 15_000 });
      expect(restarted.plainText).toContain("MYSQL_PASSWORD=[REDACTED]");

      // A scheduled job that prints the secret and fails: its alert carries the redacted tail.
      const run = await runGaia(["run", "dump", "--", "sh", "-c", 'echo "dumping with $MYSQL_PASSWORD"; exit 3'], { home });
      expect(run.code).toBe(3);
      const failed = await tg.waitForMessage(/dump failed/, { timeoutMs: 30_000 });
      expect(failed.plainText).toContain("dumping with [REDACTED]");

      const leaks = (text: string) => text.includes(canary) || text.includes(flagCanary);
      expect(leaks(JSON.stringify(tg.calls)), "a Bot API call carries the secret").toBe(false);
      expect(tablesHolding(join(home, "gaia.db"), leaks), "gaia.db rows hold the secret").toEqual([]);
    } catch (error) {
      console.log(gaia.output(), tg.describe());
      throw error;
    }
    expect(await gaia.stop()).toBe(0);
    expect(gaia.output().includes(canary) || gaia.output().includes(flagCanary), "gaia's output holds the secret").toBe(false);
    // Every file under the home, gaia.db and its -wal byte for byte, logs, spool, restart output.
    const files = filesUnder(home).filter((f) => relative(home, f) !== join(".private", ".env"));
    expect(files.map((f) => relative(home, f))).toEqual(expect.arrayContaining(["gaia.db", join(".tmp", "restart-db.log")]));
    const holding = files.filter((f) => {
      const bytes = readFileSync(f).toString("latin1");
      return bytes.includes(canary) || bytes.includes(flagCanary);
    });
    expect(holding.map((f) => relative(home, f))).toEqual([]);
  });
});

/** Holds HOG_BYTES resident until its standard input closes (the test ends or dies). */
const HOG_SCRIPT = `globalThis.hog = Buffer.alloc(${HOG_BYTES}, 1); process.stdin.on("end", () => process.exit()).resume(); setInterval(() => {}, 1000);`;

function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** The tables of a SQLite file with a row whose JSON matches `test`, read as another process would. */
function tablesHolding(file: string, test: (text: string) => boolean): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    expect(tables.length).toBeGreaterThan(5);
    return tables.map((t) => t.name).filter((name) => (db.prepare(`SELECT * FROM "${name}"`).all() as unknown[]).some((row) => test(JSON.stringify(row))));
  } finally {
    db.close();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    return stat.isDirectory() ? filesUnder(path) : stat.isFile() ? [path] : [];
  });
}
