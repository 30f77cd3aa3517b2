import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { freePort, runGaia, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import Database from "better-sqlite3";
import { eventually, NODE_NAME } from "./monitoring-harness.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const ADMIN = 4242;
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

describe("a damaged or locked gaia.db", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A home with a fake Telegram and a gaia.db made by `gaia migrate`. */
  async function homeWithDatabase() {
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const home = makeTempHome("gaia-damaged-");
    cleanups.push(() => home.cleanup());
    home.writeConfig(`telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${await freePort()}\n`);
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    expect((await runGaia(["migrate"], { home: home.home })).code).toBe(0);
    return { tg, home: home.home, database: join(home.home, "gaia.db") };
  }

  it("truncated: exits 1 saying it is damaged, how to move it aside and which backup to restore, without a stack trace", async () => {
    const { tg, home, database } = await homeWithDatabase();
    mkdirSync(join(home, ".tmp", "backups"), { recursive: true });
    copyFileSync(database, join(home, ".tmp", "backups", "gaia-2026-12-01T030000Z.db"));
    truncateSync(database, Math.floor(statSync(database).size / 2));

    const result = await runGaia(["start"], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`gaia.db is damaged and cannot be used (SQLite says: database disk image is malformed): ${database}`);
    expect(result.stderr).toContain(`mv ${database} ${database}.damaged`);
    expect(result.stderr).toContain(`cp ${join(home, ".tmp", "backups", "gaia-2026-12-01T030000Z.db")} ${database}`);
    expect(result.stderr).not.toContain("    at ");
    // The advice works: with the backup restored, gaia starts.
    copyFileSync(join(home, ".tmp", "backups", "gaia-2026-12-01T030000Z.db"), database);
    const again = startGaia(["start"], { home });
    cleanups.push(() => again.stop("SIGKILL"));
    await tg.waitForCall("sendMessage", (call) => String(call.params.text).includes("Gaia started"), 30_000);
    expect(await again.stop()).toBe(0);
  });

  it("overwritten by something else: exits 1 saying it is not a database, in start and migrate alike", async () => {
    const { home, database } = await homeWithDatabase();
    writeFileSync(database, "#!/bin/sh\necho this is not SQLite\n".repeat(300));
    for (const command of ["start", "migrate"]) {
      const result = await runGaia([command], { home });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("gaia.db is damaged and cannot be used (SQLite says: file is not a database)");
      expect(result.stderr).toContain("no backup found in");
      expect(result.stderr).not.toContain("    at ");
    }
  });

  it("locked by another process's BEGIN EXCLUSIVE: start waits, then exits 1 naming the process that holds it", async () => {
    const { home, database } = await homeWithDatabase();
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require(${JSON.stringify(BETTER_SQLITE3)}))(${JSON.stringify(database)}); db.exec("BEGIN EXCLUSIVE"); db.exec("CREATE TABLE held (x)"); console.log("holding"); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    cleanups.push(() => holder.kill("SIGKILL"));
    await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));

    const result = await runGaia(["start"], { home, timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`gaia.db is locked by another process, which keeps it from being written: ${database}`);
    expect(result.stderr).toContain(`held by pid ${holder.pid}: ${process.execPath} -e`);
    expect(result.stderr).toContain(`kill ${holder.pid}`);
    expect(result.stderr).not.toContain("    at ");
    expect(result.stdout).toContain("gaia.db is locked by another process; waiting for it");
  });

  it("locked while running: alerts still go out, /healthz still answers, the log names the holder, and the history is written once the lock is released", async () => {
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const temp = makeTempHome("gaia-locked-");
    cleanups.push(() => temp.cleanup());
    const port = await freePort();
    const marker = `locked-db-svc-${process.pid}`;
    temp.writeConfig(
      `telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${port}\nprobe:\n  every: 1s\nhost: { cpu: 100, memory: 100, disk: 100 }\nservices:\n  - name: svc\n    match: { process: ${NODE_NAME}, args: ${marker} }\n`,
    );
    temp.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    const service = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", marker], { stdio: "ignore" });
    cleanups.push(() => service.kill("SIGKILL"));
    const gaia = startGaia(["start"], { home: temp.home, env: { LOG_LEVEL: "info" } });
    cleanups.push(() => gaia.stop("SIGKILL"));
    await tg.waitForMessage("Gaia started", { timeoutMs: 30_000, chatId: ADMIN });
    await gaia.waitForOutput('"msg":"gaia started"', 30_000);

    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require(${JSON.stringify(BETTER_SQLITE3)}))(${JSON.stringify(join(temp.home, "gaia.db"))}); db.exec("BEGIN EXCLUSIVE"); db.exec("CREATE TABLE held (x)"); console.log("holding"); process.stdin.once("data", () => { db.exec("ROLLBACK"); process.exit(0); });`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    cleanups.push(() => holder.kill("SIGKILL"));
    await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));

    service.kill("SIGKILL");
    await tg.waitForMessage((m) => /🔴/.test(m.plainText) && m.plainText.includes("svc"), { timeoutMs: 60_000, chatId: ADMIN });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBeGreaterThanOrEqual(200);
    // The log names who holds it.
    await gaia.waitForOutput(`"holders":[{"pid":${holder.pid}`, 60_000);
    expect(gaia.output()).toContain("gaia.db is locked by another process: a write waited and gave up");

    holder.stdin!.write("release\n");
    const stored = () => {
      const db = new Database(join(temp.home, "gaia.db"), { readonly: true, fileMustExist: true });
      try {
        return db.prepare("SELECT status FROM incidents WHERE subjectName = 'svc'").all() as { status: string }[];
      } finally {
        db.close();
      }
    };
    await eventually(() => stored().length === 1, 60_000, "the incident held in memory is stored");
    expect(tg.messages(ADMIN).filter((m) => /🔴/.test(m.plainText) && m.plainText.includes("svc"))).toHaveLength(1);
    expect(await gaia.stop()).toBe(0);
  });
});
