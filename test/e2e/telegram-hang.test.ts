/**
 * A connection that is accepted and never answered (a NAT or Wi-Fi drop): gaia starts anyway,
 * answers again within seconds of Telegram answering again, does not let one stuck reply hold up
 * the others, and stops cleanly while Telegram hangs. The real `gaia start` against a fake
 * Telegram that can hang.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { freePort, startGaia, type GaiaProcess } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const ALICE = 4242;
const BOB = 4343;
const HANG_MS = 30_000;

describe("Telegram that accepts connections and never answers", () => {
  const defer = deferCleanups();
  let dump: (() => string) | undefined;
  afterEach((context) => {
    if (context.task.result?.state === "fail" && dump) console.log(dump());
    dump = undefined;
  });

  async function setUp(): Promise<{ tg: FakeTelegram; home: string; port: number; start(): GaiaProcess }> {
    const tg = await FakeTelegram.start({ token: TOKEN });
    defer(() => tg.stop());
    const temp = makeTempHome("gaia-hang-");
    defer(() => temp.cleanup());
    const port = await freePort();
    temp.writeConfig(`telegram:\n  admins: [${ALICE}, ${BOB}]\napi:\n  listen: 127.0.0.1:${port}\nprobe:\n  every: 1s\nhost:\n  cpu: 100\n  memory: 100\n  disk: 100\n`);
    temp.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    const gaias: GaiaProcess[] = [];
    defer(async () => {
      for (const gaia of gaias) await gaia.stop("SIGKILL");
    });
    dump = () => [...gaias.map((g) => g.output()), tg.describe()].join("\n---\n");
    return {
      tg,
      home: temp.home,
      port,
      start() {
        const gaia = startGaia(["start"], { home: temp.home, env: { LOG_LEVEL: "info" } });
        gaias.push(gaia);
        return gaia;
      },
    };
  }

  it("answers a command typed during a 30-second hang within seconds of Telegram answering again", async () => {
    const { tg, start } = await setUp();
    start();
    await tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await tg.waitForPoll(20_000);

    tg.hang(HANG_MS);
    const hangEnds = Date.now() + HANG_MS;
    tg.sendUserMessage({ chatId: ALICE, fromId: ALICE, text: "/help" });
    // grammY's default deadline is 500 s: the swallowed long poll would keep /help waiting minutes.
    const help = await tg.waitForMessage(/\/status — Host, services/, { timeoutMs: HANG_MS + 25_000 });
    expect(help.chatId).toBe(ALICE);
    expect(Date.now()).toBeGreaterThanOrEqual(hangEnds);
    expect(tg.rejections).toEqual([]);
  }, 90_000);

  it("answers one admin while the reply to another is stuck on a dead connection", async () => {
    const { tg, start } = await setUp();
    start();
    await tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await tg.waitForPoll(20_000);

    tg.failNext("sendMessage", 1, { hang: true, textMatching: /\/status/ });
    tg.sendUserMessage({ chatId: ALICE, fromId: ALICE, text: "/help" });
    await tg.waitForCall("sendMessage", (call) => call.injected && call.status === 0, 10_000);
    tg.sendUserMessage({ chatId: BOB, fromId: BOB, text: "/help" });
    const toBob = await tg.waitForMessage((m) => m.chatId === BOB && m.plainText.includes("/status"), { timeoutMs: 30_000 });
    // Bob's answer did not wait for Alice's stuck reply (handled one at a time, it would have).
    expect(tg.messages(ALICE).filter((m) => m.plainText.includes("/status"))).toEqual([]);
    expect(toBob.parseMode).toBe("HTML");
    // Alice's reply gets through once its deadline ends the stuck attempt and it is retried.
    await tg.waitForMessage((m) => m.chatId === ALICE && m.plainText.includes("/status"), { timeoutMs: 30_000 });
    expect(tg.rejections).toEqual([]);
  }, 90_000);

  it("answers a command through a dropped connection and a 502: transient failures of a reply are retried", async () => {
    const { tg, start } = await setUp();
    start();
    await tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await tg.waitForPoll(20_000);
    tg.failNext("sendMessage", 1, { destroySocket: true, textMatching: /\/status/ });
    tg.failNext("sendMessage", 1, { status: 502, html: true, textMatching: /\/status/ });
    tg.sendUserMessage({ chatId: ALICE, fromId: ALICE, text: "/help" });
    await tg.waitForMessage((m) => m.chatId === ALICE && m.plainText.includes("/status"), { timeoutMs: 30_000 });
    expect(tg.calls.filter((c) => c.method === "sendMessage" && c.injected)).toHaveLength(2);
    expect(tg.messages(ALICE).filter((m) => /went wrong/.test(m.plainText))).toEqual([]);
    expect(tg.rejections).toEqual([]);
  }, 60_000);

  it("starts its API, jobs and probe while getMe hangs, and SIGTERM still exits 0 and removes the pidfile", async () => {
    const { tg, home, port, start } = await setUp();
    tg.hang(120_000);
    const gaia = start();
    // Blocked on getMe, gaia would print nothing and serve nothing for 500 s.
    await gaia.waitForOutput('"msg":"gaia started"', 20_000);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toMatchObject({ telegram: "down", db: "ok" });
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json() as Promise<{ lastHeartbeat?: string }>);
    expect(typeof status.lastHeartbeat).toBe("string");

    // Exit code 1 would mean the 10-second stop deadline ran out.
    expect(await gaia.stop("SIGTERM")).toBe(0);
    expect(existsSync(join(home, ".tmp", "gaia.pid"))).toBe(false);
  }, 60_000);

  it("stops with exit 0 within its deadline when Telegram hangs while polling", async () => {
    const { tg, home, start } = await setUp();
    const gaia = start();
    await tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await tg.waitForPoll(20_000);
    tg.hang(120_000);
    // A message on its way out while Telegram hangs.
    tg.sendUserMessage({ chatId: ALICE, fromId: ALICE, text: "/help" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await gaia.stop("SIGTERM")).toBe(0);
    expect(existsSync(join(home, ".tmp", "gaia.pid"))).toBe(false);
    expect(gaia.output()).not.toContain("did not stop within");
  }, 60_000);

  it("stops with exit 0 while it is still registering the command menu on a connection that never answers", async () => {
    const { tg, home, start } = await setUp();
    tg.failNext("deleteMyCommands", 5, { hang: true });
    const gaia = start();
    await tg.waitForCall("deleteMyCommands", (call) => call.injected, 20_000);
    await gaia.waitForOutput('"msg":"gaia started"', 20_000);
    expect(await gaia.stop("SIGTERM")).toBe(0);
    expect(existsSync(join(home, ".tmp", "gaia.pid"))).toBe(false);
    expect(gaia.output()).not.toContain("could not register the command menu");
  }, 60_000);
});
