import { afterEach, describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FakeGitHub } from "../fakes/github.js";
import { FakeTelegram } from "../fakes/telegram.js";
import { freePort, runGaia, startGaia, type GaiaProcess } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const ADMIN = 4242;

describe("gaia start, check and migrate as a newcomer meets them", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function homeWithFakeTelegram(extraYaml = "") {
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    const port = await freePort();
    home.writeConfig(`telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${port}\n${extraYaml}`);
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    return { tg, home, port };
  }

  function track(gaia: GaiaProcess): GaiaProcess {
    cleanups.push(() => gaia.stop("SIGKILL"));
    return gaia;
  }

  it("on a fresh clone without a terminal, exits 2 naming the missing token and gaia.yml", async () => {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    const result = await runGaia(["start"], { home: home.home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("environment TELEGRAM_BOT_TOKEN: not set; put it in .private/.env (see .private.example/.env)");
    expect(result.stderr).toContain("gaia.yml: not found");
    expect(result.stderr).not.toContain("    at "); // no stack trace
  });

  it("exits 2 with one line per problem for an invalid gaia.yml, in start and check alike", async () => {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    home.writeConfig("telegram:\n  admins: [1]\nservices:\n  - name: agent\n    match: { process: node, port: 80 }\n");
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN });
    for (const command of ["start", "check"]) {
      const result = await runGaia([command], { home: home.home });
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe("gaia.yml:5 services[0].match: give exactly one of process, pidfile, port, http, tcp, container, unit");
    }
  });

  it("refuses a .private/.env readable by others, printing the chmod that fixes it", async () => {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    home.writeConfig("telegram:\n  admins: [1]\n");
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN }, 0o640);
    const result = await runGaia(["start"], { home: home.home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`run chmod 600 ${join(home.home, ".private", ".env")}`);
  });

  it("connects to Telegram, registers the commands for the admins only, answers /help, and stops cleanly on SIGTERM", async () => {
    const { tg, home, port } = await homeWithFakeTelegram();
    const gaia = track(startGaia(["start"], { home: home.home }));
    await gaia.waitForOutput('"msg":"gaia started"');
    await tg.waitForPoll();

    expect(tg.commands({ type: "chat", chat_id: ADMIN }).map((c) => c.command)).toEqual(
      ["status", "top", "approvals", "mute", "unmute", "history", "rotate", "cancel", "help"],
    );
    expect(tg.commands({ type: "default" })).toEqual([]); // strangers are not shown the menu

    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/help" });
    const help = await tg.waitForMessage(/\/status — Host, services/, { timeoutMs: 10_000 });
    expect(help.chatId).toBe(ADMIN);
    expect(help.parseMode).toBe("HTML");

    const health = (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json())) as { lastHeartbeat: unknown };
    expect(health).toMatchObject({ ok: true, telegram: "up", db: "ok" });
    expect(typeof health.lastHeartbeat).toBe("string");

    const pidFile = join(home.home, ".tmp", "gaia.pid");
    expect(readFileSync(pidFile, "utf8").split("\n")[0]).toBe(String(gaia.child.pid));
    const startedStopping = Date.now();
    expect(await gaia.stop("SIGTERM")).toBe(0);
    expect(Date.now() - startedStopping).toBeLessThan(10_000);
    expect(existsSync(pidFile)).toBe(false);
    expect(tg.rejections).toEqual([]);

    const db = new Database(join(home.home, "gaia.db"), { readonly: true });
    const kinds = db.prepare("SELECT kind FROM events ORDER BY id").all().map((r) => (r as { kind: string }).kind);
    db.close();
    expect(kinds).toContain("monitor.started");
    expect(kinds).toContain("monitor.stopped");
    const logs = readFileSync(join(home.home, ".tmp", "logs", "gaia.1.log"), "utf8");
    expect(logs).toContain('"msg":"gaia started"');
    expect(logs).not.toContain(TOKEN.split(":")[1]);
    expect(gaia.output()).not.toContain(TOKEN.split(":")[1]);
  });

  it("refuses a second start on the same home while the first runs, and takes over a stale pidfile", async () => {
    const { home } = await homeWithFakeTelegram();
    mkdirSync(join(home.home, ".tmp"), { recursive: true });
    writeFileSync(join(home.home, ".tmp", "gaia.pid"), "999999\n"); // a dead process's pidfile
    const first = track(startGaia(["start"], { home: home.home }));
    await first.waitForOutput('"msg":"gaia started"');
    const second = await runGaia(["start"], { home: home.home });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another gaia (pid ${first.child.pid}) is already running`);
    expect(await first.stop("SIGINT")).toBe(0);
  });

  it("starts watching and serving its API while Telegram is out of reach, says so (healthy, telegram down), and stops cleanly on SIGTERM", async () => {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    const [port, nothingThere] = [await freePort(), await freePort()];
    home.writeConfig(`telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${port}\n`);
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: `http://127.0.0.1:${nothingThere}` });
    const gaia = track(startGaia(["start"], { home: home.home }));
    await gaia.waitForOutput('"msg":"gaia started"', 10_000);
    await gaia.waitForOutput("cannot reach Telegram; starting without it and retrying in the background", 10_000);
    // Telegram down is reported, not unhealthy: a container restarted for it would stop watching.
    let health = await fetch(`http://127.0.0.1:${port}/healthz`);
    for (let i = 0; i < 40 && health.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      health = await fetch(`http://127.0.0.1:${port}/healthz`);
    }
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, telegram: "down", db: "ok" });
    expect(await gaia.stop("SIGTERM")).toBe(0);
    expect(existsSync(join(home.home, ".tmp", "gaia.pid"))).toBe(false);
    expect(gaia.output()).not.toContain(TOKEN.split(":")[1]);
  });

  it("exits 2 with a clear message when Telegram refuses the token", async () => {
    const { home, tg } = await homeWithFakeTelegram();
    home.writeEnv({ TELEGRAM_BOT_TOKEN: "123456789:AA" + "Wrong".repeat(7) + "1", TELEGRAM_API_ROOT: tg.apiRoot });
    const result = await runGaia(["start"], { home: home.home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("TELEGRAM_BOT_TOKEN: Telegram refused this token (401 Unauthorized); copy it again from @BotFather");
    expect(existsSync(join(home.home, ".tmp", "gaia.pid"))).toBe(false);
  });

  it("runs console mode without a token: typed commands go through the same handlers", async () => {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    home.writeConfig(`telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${await freePort()}\n`);
    const gaia = track(startGaia(["start", "--console"], { home: home.home, stdin: "pipe" }));
    await gaia.waitForOutput("gaia> ");
    expect(gaia.output()).toContain("console mode");
    gaia.child.stdin!.write("/help\n/nonsense\n/rotate\n/cancel\n");
    await gaia.waitForOutput("I don't know /nonsense. Send /help for the list of commands.");
    await gaia.waitForOutput("Token rotation is off: gaia.yml has no github: section.");
    await gaia.waitForOutput("Nothing to cancel.");
    expect(gaia.output()).toContain("/status — Host, services, tasks, incidents and approvals at a glance");
    gaia.child.stdin!.end(); // closing the console stops the monitor
    expect(await gaia.exited).toBe(0);
  });

  it("check --offline reports config, database and each service; migrate is idempotent", async () => {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    home.writeConfig("telegram:\n  admins: [1]\nservices:\n  - name: ghost\n    match: { process: no-such-process-xyz }\n");
    const check = await runGaia(["check", "--offline"], { home: home.home });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("✓ config:");
    expect(check.stdout).toContain("✓ database:");
    expect(check.stdout).toContain("✗ service ghost: no matching process");
    expect(check.stdout).toContain("- telegram: skipped (--offline)");

    const migrate = await runGaia(["migrate"], { home: home.home });
    expect(migrate).toMatchObject({ code: 0, stdout: "gaia.db is up to date.\n" });
  });

  it("check asks Telegram and GitHub who the tokens belong to, and fails clearly for a revoked GitHub token", async () => {
    const { home, tg } = await homeWithFakeTelegram("github:\n  identity: pat\n");
    const goodToken = "ghp_" + "G".repeat(36); // built at run time: fake, and invisible to the secret scanner
    const github = await FakeGitHub.start({ [goodToken]: "gaia-machine" });
    cleanups.push(() => github.stop());
    const env = (token: string) => ({ GITHUB_TOKEN: token, GITHUB_API_URL: github.apiUrl });

    const good = await runGaia(["check"], { home: home.home, env: env(goodToken) });
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("✓ telegram: token belongs to @");
    expect(good.stdout).toMatch(/✓ github: GITHUB_TOKEN \(ghp_…GGGG \(sha256:[0-9a-f]{8}\)\) belongs to gaia-machine/);
    expect(good.stdout).not.toContain(goodToken);

    const revoked = await runGaia(["check"], { home: home.home, env: env("ghp_" + "R".repeat(36)) });
    expect(revoked.code).toBe(1);
    expect(revoked.stdout).toContain("was refused (401); it may be expired or revoked");
    expect(revoked.stderr).toBe("");
    expect(tg.rejections).toEqual([]);
  });
});
