/**
 * `gaia run` as a crontab line uses it: the real compiled CLI, real child commands, the real
 * monitor and the fake Telegram. Builds on `npm run build` (npm test does it first).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { freePort, GAIA_BIN, runGaia, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const ADMIN = 4242;
/** A secret of .private/.env that the jobs print; it must never be seen again. */
const SYNC_SECRET = "sync-secret-5f1c9e2a7b";
const GITHUB_TOKEN = "ghp_e2eFakeTokenThatLooksReal0123456789";

const TASKS_YAML = `tasks:
  - name: reader
  - name: limited
    env: [ALLOWED]
  - name: flaky
  - name: heartbeat
    expect: 10s
    grace: 1s
  - name: slow
    timeout: 1s
`;

describe("gaia run, the launcher for scheduled jobs", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(options: { tasksYaml?: string } = {}) {
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    const port = await freePort();
    home.writeConfig(`telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${port}\nalerts:\n  remind: 0\n${options.tasksYaml ?? TASKS_YAML}`);
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot, SYNC_SECRET, GITHUB_TOKEN, ALLOWED: "yes-allowed" });
    const run = (args: string[], extra: { input?: string } = {}) => runGaia(["run", ...args], { home: home.home, ...extra });
    const start = async () => {
      const gaia = startGaia(["start"], { home: home.home });
      cleanups.push(() => gaia.stop("SIGKILL"));
      await gaia.waitForOutput('"msg":"gaia started"');
      return gaia;
    };
    return { tg, home: home.home, run, start };
  }

  it("gives a job the variables of .private/.env, and a task with env: only what it names", async () => {
    const { run } = await setup();
    const all = await run(["reader", "--", "sh", "-c", 'echo "secret=$SYNC_SECRET bot=${TELEGRAM_BOT_TOKEN:-unset} root=${TELEGRAM_API_ROOT:-unset}"']);
    expect(all).toEqual({ code: 0, stdout: `secret=${SYNC_SECRET} bot=unset root=unset\n`, stderr: "" });

    const limited = await run(["limited", "--", "sh", "-c", 'echo "allowed=$ALLOWED secret=${SYNC_SECRET:-unset} bot=${TELEGRAM_BOT_TOKEN:-unset}"']);
    expect(limited).toEqual({ code: 0, stdout: "allowed=yes-allowed secret=unset bot=unset\n", stderr: "" });
  });

  it("returns the command's own exit code: 0, 3, and 143 for one killed by SIGTERM", async () => {
    const { run } = await setup();
    expect((await run(["reader", "--", "true"])).code).toBe(0);
    expect((await run(["reader", "--", "sh", "-c", "exit 3"])).code).toBe(3);
    expect((await run(["reader", "--", "sh", "-c", "kill -TERM $$"])).code).toBe(143);
  });

  it("passes SIGTERM sent to gaia run on to the command, and exits as the command did", async () => {
    const { home } = await setup();
    const gaia = startGaia(["run", "reader", "--", "sh", "-c", "trap 'echo stopping; exit 42' TERM; echo ready; while :; do sleep 0.05; done"], { home });
    cleanups.push(() => gaia.stop("SIGKILL"));
    await gaia.waitForOutput("ready");
    expect(await gaia.stop("SIGTERM")).toBe(42);
    expect(gaia.output()).toContain("stopping");

    const plain = startGaia(["run", "reader", "--", "sh", "-c", "echo ready; exec sleep 30"], { home });
    cleanups.push(() => plain.stop("SIGKILL"));
    await plain.waitForOutput("ready");
    expect(await plain.stop("SIGTERM")).toBe(143);
  });

  // util-linux `script` gives the test a real terminal (a pty); without it there is no terminal to test.
  it.skipIf(!hasScript())("on a terminal, Ctrl-C reaches the job once (from the terminal), and a job it stops exits 130", async () => {
    const { home } = await setup();
    const onTerminal = (job: string) => {
      // exec: script's own shell must not stand between the terminal and gaia (dash dies of Ctrl-C).
      const command = `exec ${[process.execPath, GAIA_BIN, "run", "reader", "--", "sh", "-c", job].map(shellQuote).join(" ")}`;
      const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: home, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, GAIA_HOME: home }, stdio: ["pipe", "pipe", "pipe"] });
      let output = "";
      let pressed = false;
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("ready") && !pressed) {
          pressed = true;
          child.stdin.write("\x03"); // Ctrl-C, typed at the terminal
        }
      });
      return new Promise<{ code: number | null; output: string }>((resolve) => child.on("exit", (code) => resolve({ code, output })));
    };
    const trapped = await onTerminal("trap 'echo got INT' INT; echo ready; i=0; while [ $i -lt 20 ]; do sleep 0.05; i=$((i+1)); done; echo done");
    expect(trapped.output.match(/got INT/g), trapped.output).toHaveLength(1);
    expect(trapped.output).toContain("done");
    expect(trapped.code, trapped.output).toBe(0);
    const stopped = await onTerminal("echo ready; sleep 5");
    expect(stopped.code).toBe(130);
  });

  it("passes standard input, output and error through untouched", async () => {
    const { run } = await setup();
    const input = "line one\nline two — ünïcode\n\tand a tab\n";
    expect(await run(["reader", "--", "cat"], { input })).toEqual({ code: 0, stdout: input, stderr: "" });
    expect(await run(["reader", "--", "sh", "-c", "echo out; echo err >&2"])).toEqual({ code: 0, stdout: "out\n", stderr: "err\n" });
  });

  it("exits 2 without running the command for an unknown task or a bad config", async () => {
    const { run, home } = await setup();
    const marker = join(home, "ran");
    const unknown = await run(["bakup", "--", "touch", marker]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('gaia run: no task named "bakup" in gaia.yml');
    expect(existsSync(marker)).toBe(false);

    // The same home with a broken gaia.yml: two tasks named "reader".
    writeFileSync(join(home, "gaia.yml"), `telegram:\n  admins: [${ADMIN}]\n${TASKS_YAML}  - name: reader\n`);
    const bad = await run(["reader", "--", "touch", marker]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"reader" is already used by tasks[0]');
    expect(existsSync(marker)).toBe(false);
  });

  it("alerts once for a failing task with its redacted output tail, and once when it succeeds again", async () => {
    const { tg, run, start, home } = await setup();
    const gaia = await start();

    const failing = ["flaky", "--", "sh", "-c", `echo "copying with $SYNC_SECRET and $GITHUB_TOKEN"; echo "rsync: No space left on device" >&2; exit 3`];
    const first = await run(failing);
    expect(first.code).toBe(3);
    expect(first.stdout).toContain(SYNC_SECRET); // the job's own output is the job's: untouched
    const red = await tg.waitForMessage(/🔴 task flaky failed/, { timeoutMs: 15_000 });
    expect(red.plainText).toContain("exit code 3");
    expect(red.plainText).toContain("rsync: No space left on device");
    expect(red.text).toContain("<pre>");
    expect(red.plainText).toContain("copying with [REDACTED] and [REDACTED]");

    expect((await run(failing)).code).toBe(3); // a second failure: the same incident, no new message
    expect((await run(["flaky", "--", "true"])).code).toBe(0);
    const green = await tg.waitForMessage(/🟢 task flaky succeeded again/, { timeoutMs: 15_000 });
    expect(green.plainText).toContain("had been failing for");
    expect(green.plainText).toContain("2 failed runs in a row");
    const aboutFlaky = tg.messages(ADMIN).filter((m) => m.plainText.includes("task flaky"));
    expect(aboutFlaky.map((m) => m.plainText.split("\n")[0].slice(0, 2))).toEqual(["🔴", "🟢"]);

    expect(await gaia.stop("SIGTERM")).toBe(0);
    expect(tg.rejections).toEqual([]);
    // The secret is in no message, no log file and nowhere in gaia.db (its WAL included).
    for (const message of tg.messages()) expect(message.text).not.toContain(SYNC_SECRET);
    const logDir = join(home, ".tmp", "logs");
    for (const file of readdirSync(logDir)) expect(readFileSync(join(logDir, file), "utf8")).not.toContain(SYNC_SECRET);
    for (const file of readdirSync(home).filter((f) => f.startsWith("gaia.db"))) {
      const bytes = readFileSync(join(home, file)).toString("latin1");
      expect(bytes, file).not.toContain(SYNC_SECRET);
      expect(bytes, file).not.toContain(GITHUB_TOKEN);
    }
    const db = new Database(join(home, "gaia.db"), { readonly: true });
    const runs = db.prepare("SELECT task, status, exitCode FROM task_runs ORDER BY startedAt").all();
    db.close();
    expect(runs).toEqual([
      { task: "flaky", status: "failed", exitCode: 3 },
      { task: "flaky", status: "failed", exitCode: 3 },
      { task: "flaky", status: "succeeded", exitCode: 0 },
    ]);
  });

  it("stops a run that outlives its timeout and alerts that it timed out", async () => {
    const { tg, run, start } = await setup();
    const gaia = await start();
    const result = await run(["slow", "--", "sh", "-c", "echo working; exec sleep 10"]);
    expect(result.code).toBe(143);
    expect(result.stderr).toContain("gaia run: slow took longer than its timeout of 1s; stopping it (SIGTERM)");
    const red = await tg.waitForMessage(/🔴 task slow timed out/, { timeoutMs: 15_000 });
    expect(red.plainText).toContain("stopped by its timeout of 1s (exit code 143, killed by SIGTERM)");
    expect(red.plainText).toContain("working");
    await gaia.stop("SIGTERM");
    expect(tg.rejections).toEqual([]);
  });

  it("reports a task with expect: 10s that does not run as missed", async () => {
    const { tg, start } = await setup();
    const startedAt = Date.now();
    const gaia = await start();
    const orange = await tg.waitForMessage(/🟠 task heartbeat missed its run/, { timeoutMs: 25_000 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(11_000);
    expect(orange.plainText).toContain("expected every 10s, with 1s of grace");
    expect(tg.messages().filter((m) => m.plainText.includes("heartbeat missed"))).toHaveLength(1);
    await gaia.stop("SIGTERM");
    expect(tg.rejections).toEqual([]);
  });

  it("tells a job whose GAIA_API_TOKEN the monitor refuses to fix the token, not gaia.yml, and still runs it", async () => {
    const { start, home } = await setup();
    const gaia = await start();
    const result = await runGaia(["run", "reader", "--", "sh", "-c", "exit 0"], { home, env: { GAIA_API_TOKEN: "not-the-monitors-token-0123" } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("answered 401");
    expect(result.stderr).toContain("GAIA_API_TOKEN must be the running monitor's");
    expect(result.stderr).not.toContain("editing gaia.yml");
    expect(result.stderr).not.toContain("not-the-monitors-token-0123");
    expect(await gaia.stop("SIGTERM")).toBe(0);
  });

  it("keeps the runs made while the monitor is stopped, and reports them once it starts, exactly once", async () => {
    const { tg, run, start, home } = await setup();
    const result = await run(["flaky", "--", "sh", "-c", "echo 'backup target unreachable'; exit 5"]);
    expect(result).toMatchObject({ code: 5, stderr: "" }); // no monitor: the job ran, quietly
    const spool = join(home, ".tmp", "spool");
    expect(readdirSync(spool)).toHaveLength(1);

    const gaia = await start();
    const red = await tg.waitForMessage(/🔴 task flaky failed/, { timeoutMs: 15_000 });
    expect(red.plainText).toContain("exit code 5");
    expect(red.plainText).toContain("backup target unreachable");
    expect(readdirSync(spool)).toEqual([]);
    expect(await gaia.stop("SIGTERM")).toBe(0);

    // A restart finds nothing more to report.
    const again = await start();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await again.stop("SIGTERM")).toBe(0);
    expect(tg.messages().filter((m) => m.plainText.includes("task flaky"))).toHaveLength(1);
    const db = new Database(join(home, "gaia.db"), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM task_runs").get()).toEqual({ n: 1 });
    db.close();
    expect(tg.rejections).toEqual([]);
  });
  it("works with the alert buttons and /mute: Ack stops a failing task's reminders, a muted task is recorded, not sent", async () => {
    const { tg, run, home } = await setup({ tasksYaml: TASKS_YAML });
    // Reminders every 3 s for this test (alerts.remind, which may not be shorter than probe.every), so that Ack has something to stop.
    writeFileSync(join(home, "gaia.yml"), readFileSync(join(home, "gaia.yml"), "utf8").replace("remind: 0", "remind: 3s\nprobe:\n  every: 3s"));
    const gaia = startGaia(["start"], { home });
    cleanups.push(() => gaia.stop("SIGKILL"));
    await gaia.waitForOutput('"msg":"gaia started"');

    expect((await run(["flaky", "--", "sh", "-c", "echo broken; exit 1"])).code).toBe(1);
    const red = await tg.waitForMessage(/🔴 task flaky failed/, { timeoutMs: 15_000 });
    const reminder = await tg.waitForMessage(/🔴 task flaky still failing/, { timeoutMs: 15_000 });
    expect(reminder.plainText).toContain("broken");
    const ack = red.buttons.find((b) => b.text === "Ack");
    expect(ack?.callbackData).toBeDefined();
    await tg.waitForPoll(10_000);
    const pressed = tg.pressButton({ chatId: ADMIN, messageId: red.messageId, fromId: ADMIN, data: ack!.callbackData! });
    expect((await tg.waitForCallbackAnswer(pressed, 10_000)).text).toMatch(/^Acknowledged/);
    const remindersBefore = tg.messages().filter((m) => m.plainText.includes("flaky still failing")).length;
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect(tg.messages().filter((m) => m.plainText.includes("flaky still failing")).length).toBe(remindersBefore);

    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/mute reader 1h" });
    await tg.waitForMessage(/reader is muted for/, { timeoutMs: 10_000 });
    expect((await run(["reader", "--", "sh", "-c", "exit 9"])).code).toBe(9);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(tg.messages().filter((m) => m.plainText.includes("task reader"))).toEqual([]);
    expect(await gaia.stop("SIGTERM")).toBe(0);
    const db = new Database(join(home, "gaia.db"), { readonly: true });
    expect(db.prepare("SELECT subjectName, condition, status, muted FROM incidents WHERE subjectName = 'reader'").all()).toEqual([
      { subjectName: "reader", condition: "failed", status: "open", muted: 1 },
    ]);
    db.close();
    expect(tg.rejections).toEqual([]);
  });
});

function hasScript(): boolean {
  return spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
}

/** One word for `sh -c`, whatever it holds. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
