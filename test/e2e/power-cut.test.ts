/**
 * After a power cut: `.tmp/gaia.pid` is left behind and its pid soon belongs to another program
 * (or to a zombie), and a service's pidfile names a pid the kernel gave to someone else. Gaia
 * must start anyway, and must not count the stranger as the service.
 */
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeTelegram } from "../fakes/telegram.js";
import { freePort, runGaia, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = ["123456789", "AAFakeFakeFakeFakeFakeFakeFakeFake123"].join(":");
const ADMIN = 4242;

describe("gaia after a power cut", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function child(command: string, args: string[]): ChildProcess {
    const proc = spawn(command, args, { stdio: ["ignore", "pipe", "ignore"] });
    cleanups.push(() => proc.kill("SIGKILL"));
    return proc;
  }

  function startTicksOf(pid: number): number {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  }

  async function home() {
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const h = makeTempHome();
    cleanups.push(() => h.cleanup());
    h.writeConfig(`telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${await freePort()}\n`);
    h.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    mkdirSync(join(h.home, ".tmp"), { recursive: true });
    return { dir: h.home, tg };
  }

  it("starts although .tmp/gaia.pid names a live unrelated process, or a zombie", async () => {
    const unrelated = child("sleep", ["60"]);
    // `sleep 1` becomes a zombie: it ends after its parent has exec'd into `sleep 60`, which never reaps it.
    const parent = child("sh", ["-c", "sleep 1 & echo $!; exec sleep 60"]);
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    for (const leftover of [
      `${unrelated.pid}\n`, // a bare pid (an older gaia), now a program that is not gaia
      `${unrelated.pid}\nstart ${startTicksOf(unrelated.pid!) + 1000}\n`, // the pid was reused since
      `${zombie}\n`, // a killed gaia not yet reaped
    ]) {
      const { dir, tg } = await home();
      writeFileSync(join(dir, ".tmp", "gaia.pid"), leftover);
      const gaia = startGaia(["start"], { home: dir });
      cleanups.push(() => gaia.stop("SIGKILL"));
      await gaia.waitForOutput('"msg":"gaia started"', 30_000);
      await tg.waitForPoll(); // past start-up: SIGTERM is handled from here on
      expect(readFileSync(join(dir, ".tmp", "gaia.pid"), "utf8").split("\n")[0]).toBe(String(gaia.child.pid));
      expect(await gaia.stop("SIGTERM")).toBe(0);
    }
  }, 120_000);

  it("starts although something that is not a file sits at .tmp/gaia.pid (a FIFO would block a plain read)", async () => {
    const { dir, tg } = await home();
    execFileSync("mkfifo", [join(dir, ".tmp", "gaia.pid")]);
    const gaia = startGaia(["start"], { home: dir });
    cleanups.push(() => gaia.stop("SIGKILL"));
    await gaia.waitForOutput('"msg":"gaia started"', 30_000);
    await tg.waitForPoll();
    expect(readFileSync(join(dir, ".tmp", "gaia.pid"), "utf8").split("\n")[0]).toBe(String(gaia.child.pid));
    expect(await gaia.stop("SIGTERM")).toBe(0);
  }, 60_000);

  it("does not count a service up when its pidfile's pid now belongs to a process started after the file was written", async () => {
    const { dir } = await home();
    const stranger = child("sleep", ["60"]);
    await new Promise((resolve) => stranger.once("spawn", resolve));
    const stale = join(dir, "stale.pid");
    const fresh = join(dir, "fresh.pid");
    writeFileSync(stale, `${stranger.pid}\n`);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(stale, anHourAgo, anHourAgo); // written before the power cut
    writeFileSync(fresh, `${stranger.pid}\n`); // written by the service after it started
    writeFileSync(
      join(dir, "gaia.yml"),
      readFileSync(join(dir, "gaia.yml"), "utf8") +
        "services:\n  - name: stale\n    match: { pidfile: stale.pid }\n  - name: fresh\n    match: { pidfile: fresh.pid }\n",
    );
    const result = await runGaia(["check", "--offline"], { home: dir });
    expect(result.stdout).toContain("✗ service stale: no matching process");
    expect(result.stdout).toContain(`✓ service fresh: 1 process(es), pid ${stranger.pid}`);
    expect(result.code).toBe(1);
  });
});
