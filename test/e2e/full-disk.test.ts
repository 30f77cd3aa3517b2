import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { freePort, runGaia, startGaia, type GaiaProcess } from "../helpers/gaia-process.js";
import { eventually, NODE_NAME } from "./monitoring-harness.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const ADMIN = 4242;

/** A small tmpfs (the home folder on a disk that can really fill up) needs root; elsewhere the test is skipped. */
function mountSmallDisk(sizeMb: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "gaia-small-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0755`, "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync("umount", ["-l", dir], { stdio: "ignore" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const probe = mountSmallDisk(1);
const CAN_MOUNT = probe !== undefined;
if (probe) unmount(probe);

/** Writes into `file` until the disk says ENOSPC; returns the bytes written. */
function fillDisk(file: string): number {
  const fd = openSync(file, "w");
  let written = 0;
  try {
    for (const chunk of [1024 * 1024, 4096, 512]) {
      const buffer = Buffer.alloc(chunk, 0x61);
      for (;;) {
        try {
          written += writeSync(fd, buffer);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

describe.skipIf(!CAN_MOUNT)("a full disk under the home folder (a 20 MB tmpfs, filled up)", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("keeps the monitor running: the down alert still reaches Telegram, 'disk full' is said once, the API answers 503, and it catches up when space returns", async () => {
    const home = mountSmallDisk(20)!;
    cleanups.push(() => unmount(home));
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const port = await freePort();
    const marker = `full-disk-svc-${process.pid}`;
    mkdirSync(join(home, ".private"), { mode: 0o700 });
    execFileSync("sh", ["-c", `printf 'TELEGRAM_BOT_TOKEN=${TOKEN}\\nTELEGRAM_API_ROOT=${tg.apiRoot}\\n' > .private/.env && chmod 600 .private/.env`], { cwd: home });
    execFileSync("sh", [
      "-c",
      `cat > gaia.yml <<'YML'
telegram:
  admins: [${ADMIN}]
api:
  listen: 127.0.0.1:${port}
probe:
  every: 1s
host: { cpu: 100, memory: 100, disk: 100 }
services:
  - name: svc
    match: { process: ${NODE_NAME}, args: ${marker} }
YML`,
    ], { cwd: home });

    const service: ChildProcess = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", marker], { stdio: "ignore" });
    cleanups.push(() => service.kill("SIGKILL"));
    const gaia: GaiaProcess = startGaia(["start"], { home, env: { LOG_LEVEL: "info" } });
    cleanups.push(() => gaia.stop("SIGKILL"));
    const report = () => `${gaia.output()}\n--- fake Telegram ---\n${tg.describe()}`;
    await tg.waitForMessage("Gaia started", { timeoutMs: 30_000, chatId: ADMIN });
    // The service is seen up first.
    await eventually(() => gaia.output().includes('"msg":"gaia started"'), 30_000, "gaia started");
    const apiToken = readFileSync(join(home, ".private", "api-token"), "utf8").trim();

    // The disk fills up.
    const filler = join(home, "filler.bin");
    expect(fillDisk(filler)).toBeGreaterThan(1024 * 1024);
    await tg.waitForMessage(/Disk full: gaia\.db cannot be written/, { timeoutMs: 60_000, chatId: ADMIN }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${report()}`);
    });

    // The service dies while the disk is full: the alert still arrives.
    service.kill("SIGKILL");
    await tg.waitForMessage((m) => /🔴/.test(m.plainText) && m.plainText.includes("svc"), { timeoutMs: 60_000, chatId: ADMIN }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${report()}`);
    });

    // The local API says what is wrong, as JSON, instead of a raw ENOSPC.
    const answer = await fetch(`http://127.0.0.1:${port}/v1/approvals`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "Deploy while the disk is full?" }),
    });
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: string }).error).toMatch(/^gaia\.db cannot be written: the disk is full/);
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { db: string };
    expect(health.db).toBe("full");
    expect(gaia.child.exitCode).toBeNull();
    // A command that must write says why it cannot, not "something went wrong".
    await tg.waitForPoll(30_000);
    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/mute svc 10m" });
    await tg.waitForMessage(/gaia\.db cannot be written: the disk is full\. Alerts still come/, { timeoutMs: 30_000, chatId: ADMIN });

    // Space returns: gaia says so once, and writes down what happened meanwhile.
    rmSync(filler);
    await tg.waitForMessage(/Disk has room again/, { timeoutMs: 60_000, chatId: ADMIN }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${report()}`);
    });
    const rows = () => {
      const db = new Database(join(home, "gaia.db"), { readonly: true, fileMustExist: true });
      try {
        return {
          incidents: db.prepare("SELECT status FROM incidents WHERE subjectName = 'svc' AND condition = 'down'").all() as { status: string }[],
          outbox: db.prepare("SELECT status FROM outbox WHERE kind = 'alert' AND payload LIKE '%\"subject\":\"svc\"%'").all() as { status: string }[],
        };
      } finally {
        db.close();
      }
    };
    await eventually(() => rows().incidents.length === 1, 60_000, `the incident held in memory is stored\n${report()}`);
    expect(rows().incidents).toEqual([{ status: "open" }]);
    // Its alert is stored as already sent: not sent a second time.
    expect(rows().outbox.map((r) => r.status)).toEqual(["delivered"]);
    const said = tg.messages(ADMIN).map((m) => m.plainText);
    expect(said.filter((t) => t.includes("Disk full"))).toHaveLength(1);
    expect(said.filter((t) => /🔴/.test(t) && t.includes("svc"))).toHaveLength(1);

    // And it still stops cleanly.
    expect(await gaia.stop()).toBe(0);
  });

  it("started on a disk that is already full, exits 1 saying so and what to do, without a stack trace", async () => {
    const home = mountSmallDisk(20)!;
    cleanups.push(() => unmount(home));
    mkdirSync(join(home, ".private"), { mode: 0o700 });
    execFileSync("sh", ["-c", `printf 'TELEGRAM_BOT_TOKEN=${TOKEN}\\nTELEGRAM_API_ROOT=http://127.0.0.1:9\\n' > .private/.env && chmod 600 .private/.env && printf 'telegram:\\n  admins: [${ADMIN}]\\n' > gaia.yml`], { cwd: home });
    mkdirSync(join(home, ".tmp"), { mode: 0o700 }); // a home gaia ran in before
    fillDisk(join(home, "filler.bin"));
    const result = await runGaia(["start"], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("gaia cannot start: the disk of its home folder is full");
    expect(result.stderr).toContain(`df -h ${home}`);
    expect(result.stderr).not.toContain("    at ");
    // Nothing half-written is left behind (the pidfile's own copy was created, then its write failed).
    expect(readdirSync(join(home, ".tmp")).filter((name) => name.startsWith("gaia.pid"))).toEqual([]);
  });
});
