/**
 * `gaia run` on a bad day: killed with SIGKILL while its job runs (the run must not stay
 * "running" forever), and a job whose children outlive its timeout (they must go too).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { freePort, runGaia, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = ["123456789", "AAFakeFakeFakeFakeFakeFakeFakeFake123"].join(":");
const ADMIN = 4242;

/** Whether a pid is a live process (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]);
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("gaia run killed, or outlived by its job's children", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    home.writeConfig(
      [
        `telegram:\n  admins: [${ADMIN}]`,
        `api:\n  listen: 127.0.0.1:${await freePort()}`,
        "alerts:\n  remind: 0",
        "tasks:",
        "  - name: nightly",
        "    expect: 10s",
        "    grace: 1s",
        "  - name: plain",
        "  - name: slow",
        "    timeout: 1s",
        "",
      ].join("\n"),
    );
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    const query = <T>(sql: string): T[] => {
      const db = new Database(join(home.home, "gaia.db"), { readonly: true });
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    };
    return { tg, home: home.home, query };
  }

  it("closes the run of a gaia run killed with SIGKILL as lost, with a 🔴 for a task with expect", async () => {
    const { tg, home, query } = await setup();
    const gaia = startGaia(["start"], { home });
    cleanups.push(() => gaia.stop("SIGKILL"));
    await gaia.waitForOutput('"msg":"gaia started"');

    const jobs: number[] = [];
    cleanups.push(() => jobs.forEach((pid) => alive(pid) && process.kill(pid, "SIGKILL")));
    for (const task of ["nightly", "plain"]) {
      const launcher = startGaia(["run", task, "--", "sh", "-c", `echo $$ > ${task}.job; exec sleep 60`], { home });
      cleanups.push(() => launcher.stop("SIGKILL"));
      await until(() => query(`SELECT 1 FROM task_runs WHERE task = '${task}' AND status = 'running'`).length === 1 && existsSync(join(home, `${task}.job`)), 20_000, `${task}'s run to be recorded`);
      jobs.push(Number(readFileSync(join(home, `${task}.job`), "utf8")));
      expect(query<{ launcherPid: number }>(`SELECT launcherPid FROM task_runs WHERE task = '${task}'`)[0].launcherPid).toBe(launcher.child.pid);
      await launcher.stop("SIGKILL");
    }

    await until(() => query("SELECT 1 FROM task_runs WHERE status = 'lost'").length === 2, 30_000, "both runs to be closed as lost");
    const red = await tg.waitForMessage(/🔴 task nightly failed/, { timeoutMs: 15_000 });
    expect(red.plainText).toContain("gaia run was killed (or the host went down) before it could report the end; the outcome is unknown");
    // The task without expect is only closed: /status and /history stop saying "running".
    expect(tg.messages().some((m) => m.plainText.includes("task plain"))).toBe(false);
    expect(query("SELECT 1 FROM task_runs WHERE status = 'running'")).toEqual([]);
    expect(await gaia.stop("SIGTERM")).toBe(0);
  }, 90_000);

  it("stops the whole process group at the timeout: a script's child does not outlive it", async () => {
    const { home } = await setup();
    const result = await runGaia(["run", "slow", "--", "sh", "-c", "sleep 60 & echo child=$!; wait"], { home });
    expect(result.code).toBe(143);
    expect(result.stderr).toContain("gaia run: slow took longer than its timeout of 1s; stopping it (SIGTERM)");
    const child = Number(/child=(\d+)/.exec(result.stdout)![1]);
    cleanups.push(() => alive(child) && process.kill(child, "SIGKILL"));
    await until(() => !alive(child), 10_000, `the script's child ${child} to be stopped`);
  });
});
