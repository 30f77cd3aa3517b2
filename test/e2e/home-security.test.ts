/**
 * The home folder as an attacker or a careless admin finds it (issue 13): gaia's files private
 * whatever the umask, a loose .private/api-token refused before anything starts.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { freePort, runGaia, startGaia, type GaiaProcess } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { eventually, TOKEN } from "./monitoring-harness.js";

const ADMIN = 4242;

describe("a gaia home's files", () => {
  const defer = deferCleanups();

  async function homeWithFakeTelegram(extraYaml = "") {
    const tg = await FakeTelegram.start({ token: TOKEN });
    defer(() => tg.stop());
    const temp = makeTempHome("gaia-home-security-");
    defer(() => temp.cleanup());
    const port = await freePort();
    temp.writeConfig(`telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${port}\n${extraYaml}`);
    temp.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    return { tg, home: temp.home, port };
  }

  function start(home: string): GaiaProcess {
    const gaia = startGaia(["start"], { home });
    defer(() => gaia.stop("SIGKILL"));
    return gaia;
  }

  const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

  it("are private after a start under umask 022: gaia.db and its -wal and -shm 600, .tmp/ 700; loose ones are fixed and logged", async () => {
    const previousUmask = process.umask(0o022);
    defer(() => process.umask(previousUmask));
    const { tg, home } = await homeWithFakeTelegram();
    const first = start(home);
    await first.waitForOutput('"msg":"gaia started"');
    await tg.waitForMessage("Gaia started", { timeoutMs: 15_000 });
    await tg.waitForPoll(15_000); // stopped only once it polls: a stop while polling connects is another story
    const db = join(home, "gaia.db");
    expect({
      db: modeOf(db),
      wal: modeOf(`${db}-wal`),
      shm: modeOf(`${db}-shm`),
      tmp: modeOf(join(home, ".tmp")),
      logs: modeOf(join(home, ".tmp", "logs")),
      token: modeOf(join(home, ".private", "api-token")),
    }).toEqual({ db: "600", wal: "600", shm: "600", tmp: "700", logs: "700", token: "600" });
    const firstCode = await first.stop();
    if (firstCode !== 0) console.log(first.output());
    expect(firstCode).toBe(0);

    // A home made by an older gaia, or copied with cp -r: world-readable database and folders.
    chmodSync(db, 0o644);
    writeFileSync(`${db}-wal`, "");
    chmodSync(`${db}-wal`, 0o644);
    chmodSync(join(home, ".tmp"), 0o755);
    const second = start(home);
    await second.waitForOutput('"msg":"gaia started"');
    await eventually(() => tg.messages(ADMIN).filter((m) => m.plainText.includes("Gaia started")).length === 2, 15_000, "the second start notice");
    await tg.waitForPoll(15_000);
    expect(second.output()).toMatch(/made gaia's files private[^\n]*gaia\.db: 644 → 600[^\n]*gaia\.db-wal: 644 → 600/);
    expect(second.output()).toContain(".tmp: 755 → 700");
    expect([modeOf(db), modeOf(`${db}-wal`), modeOf(`${db}-shm`), modeOf(join(home, ".tmp"))]).toEqual(["600", "600", "600", "700"]);
    const code = await second.stop();
    if (code !== 0) console.log(second.output());
    expect(code).toBe(0);
  });

  it("refuses a .private/api-token readable by others before anything starts: exit 2 with the chmod, no stack, no Telegram call, no gaia.db", async () => {
    const { tg, home } = await homeWithFakeTelegram();
    const tokenFile = join(home, ".private", "api-token");
    writeFileSync(tokenFile, "0123456789abcdef0123456789abcdef\n");
    chmodSync(tokenFile, 0o644);
    const result = await runGaia(["start"], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`.private/api-token: readable by group or others; run chmod 600 ${tokenFile}`);
    expect(result.stdout + result.stderr).not.toContain("    at ");
    expect(tg.calls.map((c) => c.method)).toEqual([]);
    expect(existsSync(join(home, "gaia.db"))).toBe(false);
  });

  it("answers no request whose Host is another name: /metrics and /healthz refuse Host evil.example with 421", async () => {
    const { tg, home, port } = await homeWithFakeTelegram();
    const gaia = start(home);
    await gaia.waitForOutput('"msg":"gaia started"');
    await tg.waitForMessage("Gaia started", { timeoutMs: 15_000 });
    for (const path of ["/metrics", "/healthz"]) {
      const refused = await getWithHost(port, path, "evil.example");
      expect(refused.status, path).toBe(421);
      expect(refused.contentType, path).toContain("application/json");
      expect(JSON.parse(refused.body).error, path).toMatch(/not to "evil\.example" \(DNS rebinding protection\)/);
      expect(refused.body, path).not.toMatch(/gaia_|lastHeartbeat/);
      expect((await getWithHost(port, path, `127.0.0.1:${port}`)).status, path).toBe(200);
      expect((await getWithHost(port, path, `localhost:${port}`)).status, path).toBe(200);
    }
  });

  it("will not listen beyond loopback unless api.allowRemote says so, and then warns at every start", async () => {
    const refused = await homeWithFakeTelegram();
    const port = await freePort();
    writeFileSync(join(refused.home, "gaia.yml"), `telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 0.0.0.0:${port}\n`);
    const result = await runGaia(["start"], { home: refused.home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`gaia.yml:4 api.listen: 0.0.0.0 is not a loopback address, so the local API would answer the network; listen on 127.0.0.1:${port}, or add allowRemote: true under api:`);
    expect(refused.tg.calls).toEqual([]);

    writeFileSync(join(refused.home, "gaia.yml"), `telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 0.0.0.0:${port}\n  allowRemote: true\n`);
    const gaia = start(refused.home);
    await gaia.waitForOutput('"msg":"gaia started"');
    expect(gaia.output()).toMatch(/"level":"warn"[^\n]*WARNING: the local API listens on 0\.0\.0\.0:\d+, beyond this host \(api\.allowRemote: true\)/);
    expect((await getWithHost(port, "/healthz", "evil.example")).status).toBe(421);
  });

  it("keeps watching with a FIFO and /dev/zero as pidfiles: /healthz answers, the heartbeat moves, and a service that dies is still reported", async () => {
    const { tg, home, port } = await homeWithFakeTelegram();
    execFileSync("mkfifo", [join(home, "fifo.pid")]);
    const idle = spawn("sleep", ["600"], { stdio: "ignore" });
    defer(() => void idle.kill("SIGKILL"));
    writeFileSync(join(home, "real.pid"), `${idle.pid}\n`);
    writeFileSync(
      join(home, "gaia.yml"),
      [
        `telegram:\n  admins: [${ADMIN}]`,
        `api:\n  listen: 127.0.0.1:${port}`,
        "probe:\n  every: 1s",
        "heartbeat:\n  every: 10s",
        "host:\n  cpu: 100\n  memory: 100\n  disk: 100",
        "services:",
        "  - { name: fifo, match: { pidfile: fifo.pid } }",
        "  - { name: zero, match: { pidfile: /dev/zero } }",
        "  - { name: real, match: { pidfile: real.pid } }",
      ].join("\n") + "\n",
    );
    const gaia = start(home);
    await tg.waitForMessage("Gaia started", { timeoutMs: 30_000 });
    await tg.waitForMessage(/fifo is down/, { timeoutMs: 30_000 });
    await tg.waitForMessage(/zero is down/, { timeoutMs: 30_000 });
    const health = async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
      return { status: answer.status, body: (await answer.json()) as { ok: boolean; lastHeartbeat: string } };
    };
    const first = await health();
    expect(first).toMatchObject({ status: 200, body: { ok: true } });
    await eventually(async () => (await health()).body.lastHeartbeat !== first.body.lastHeartbeat, 30_000, "a later heartbeat");

    idle.kill("SIGKILL");
    await tg.waitForMessage(/real is down/, { timeoutMs: 30_000 });
    expect((await health()).status).toBe(200);
    expect(gaia.output()).not.toMatch(/"level":"(error|fatal)"/);
  });

  it.each([
    ["gaia.yml as a FIFO", (home: string) => (rmSync(join(home, "gaia.yml")), execFileSync("mkfifo", [join(home, "gaia.yml")])), "gaia.yml: is a FIFO, socket or device, not a regular file"],
    ["the .env as a FIFO", (home: string) => (rmSync(join(home, ".private", ".env")), execFileSync("mkfifo", ["-m", "600", join(home, ".private", ".env")])), ".private/.env: is a FIFO, socket or device, not a regular file"],
    ["the .env as a directory", (home: string) => (rmSync(join(home, ".private", ".env")), mkdirSync(join(home, ".private", ".env"), { mode: 0o755 })), ".private/.env: is a directory, not a file; move it away"],
    ["the .env as a dangling link", (home: string) => (rmSync(join(home, ".private", ".env")), symlinkSync("/nowhere/gaia.env", join(home, ".private", ".env"))), ".private/.env: is a symbolic link to /nowhere/gaia.env, which does not exist"],
  ])("exits 2 at once, naming the problem, with %s", async (_what, spoil, message) => {
    const { tg, home } = await homeWithFakeTelegram();
    spoil(home);
    // Started on a terminal-less pipe: a dangling .env must not mean "no .env, console mode".
    const result = await runGaia(["start"], { home, env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain("chmod 600");
    expect(result.stdout + result.stderr).not.toContain("    at ");
    expect(tg.calls).toEqual([]);
  });
});

/** A GET with a Host header of our choosing (fetch sets its own). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, path, headers: { host } }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, contentType: String(response.headers["content-type"] ?? ""), body }));
    });
    request.on("error", reject);
    request.end();
  });
}
