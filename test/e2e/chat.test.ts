import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegram, type SentMessage } from "../fakes/telegram.js";
import { freePort, runGaia, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const ADMIN = 4242;
const STRANGER = 6666;
const GROUP = -1001234567890;
const LIMIT = 4096;

/**
 * The chat as admins and strangers meet it: the real gaia process against the strict fake
 * Telegram. Probe and heartbeat run at start and then only every hour (a timer from the start,
 * so never during a test): what /status shows changes only when a test changes it.
 */
describe("the chat commands against Telegram", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startMonitor(extraYaml = "", options: { sustain?: number } = {}) {
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    const port = await freePort();
    home.writeConfig(
      [
        "telegram:",
        `  admins: [${ADMIN}]`,
        `  chat: ${GROUP}`,
        "probe:",
        "  every: 1h",
        "heartbeat:",
        "  every: 1h",
        "host:",
        "  cpu: 100",
        "  memory: 100",
        "  disk: 100",
        `  sustain: ${options.sustain ?? 1}`,
        "api:",
        `  listen: 127.0.0.1:${port}`,
        extraYaml,
      ].join("\n"),
    );
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    const gaia = startGaia(["start"], { home: home.home });
    cleanups.push(() => gaia.stop("SIGKILL"));
    await gaia.waitForOutput('"msg":"gaia started"');
    await tg.waitForPoll();
    return { tg, home: home.home, port, gaia };
  }

  /** Sends a command and resolves with the bot's answer in that chat. */
  async function command(tg: FakeTelegram, text: string, match: string | RegExp, options: { chatId?: number; fromId?: number } = {}): Promise<SentMessage> {
    const chatId = options.chatId ?? ADMIN;
    const waiting = tg.waitForMessage(match, { chatId, newOnly: true, timeoutMs: 15_000 });
    tg.sendUserMessage({ chatId, fromId: options.fromId ?? ADMIN, text });
    return waiting;
  }

  /** Presses a button and resolves with the answer to the press. */
  async function press(tg: FakeTelegram, message: SentMessage, data: string, fromId = ADMIN) {
    const id = tg.pressButton({ chatId: message.chatId, messageId: message.messageId, fromId, data });
    return tg.waitForCallbackAnswer(id, 15_000);
  }

  function current(tg: FakeTelegram, message: SentMessage): SentMessage {
    return tg.messages(message.chatId).find((m) => m.messageId === message.messageId)!;
  }

  function expectWithinLimits(tg: FakeTelegram) {
    for (const message of tg.messages()) {
      for (const version of [message, ...message.edits]) expect(version.plainText.length).toBeLessThanOrEqual(LIMIT);
    }
    expect(tg.rejections).toEqual([]);
    expect(tg.markdownCalls).toEqual([]);
  }

  function apiToken(home: string): string {
    return readFileSync(join(home, ".private", "api-token"), "utf8").trim();
  }

  it("/status shows an admin the host, services, incidents, approvals and heartbeat; a Refresh that changes nothing is answered, not edited", async () => {
    const idle = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", `agent-${randomUUID()}`], { stdio: "ignore" });
    cleanups.push(() => idle.kill("SIGKILL"));
    await once(idle, "spawn");
    const tag = idle.spawnargs.at(-1)!;
    const { tg, home, port } = await startMonitor(
      ["services:", "  - name: agent", `    match: { process: node, args: ${tag} }`, "  - name: ghost", "    match: { process: no-such-process-x1 }", "tasks:", "  - name: backup", "    expect: 1d"].join("\n"),
    );
    await tg.waitForMessage("ghost", { chatId: GROUP, timeoutMs: 15_000 }); // the down alert: the first probe ran

    const status = await command(tg, "/status", /^Gaia · /);
    const text = status.plainText;
    expect(status.parseMode).toBe("HTML");
    expect(text).toMatch(/CPU +\d+(\.\d)?% +\S/); // a figure and its sparkline
    expect(text).toMatch(/Memory +\d+(\.\d)?%/);
    expect(text).toMatch(/Disk +\d+(\.\d)?% +[\d.]+ [KMGT]iB of [\d.]+ [KMGT]iB/);
    expect(text).toMatch(/Load +[\d.]+ [\d.]+ [\d.]+/);
    expect(text).toContain("Uptime ");
    expect(text).toMatch(new RegExp(`🟢 agent · up \\d+s · pid ${idle.pid} · CPU [\\d.]+% · [\\d.]+ [KMG]iB`));
    expect(text).toMatch(/🔴 ghost · down since \d\d:\d\d/);
    expect(text).toMatch(/Open incidents \(1\)\n🔴 ghost down since \d\d:\d\d/);
    expect(text).toContain("▫️ backup · no run yet");
    expect(text).toMatch(/Heartbeat \d\d:\d\d · figures of \d\d:\d\d:\d\d, probed every 1h/);
    expect(status.buttons).toEqual([{ text: "🔄 Refresh", callbackData: "st:0" }]);

    // Nothing changed since: the press is answered, and no edit is sent (Telegram would refuse it).
    expect(await press(tg, status, "st:0")).toMatchObject({ text: "Up to date" });
    expect(tg.calls.filter((c) => c.method === "editMessageText")).toEqual([]);

    // A script asks for an approval: the next Refresh shows it, in place.
    const created = await fetch(`http://127.0.0.1:${port}/v1/approvals`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiToken(home)}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "Deploy <b>v2</b> & restart", requester: "deploy.sh" }),
    });
    expect(created.status).toBe(201);
    const answer = await press(tg, status, "st:0");
    expect(answer.text).toBeUndefined();
    const refreshed = current(tg, status);
    expect(refreshed.edits).toHaveLength(1);
    expect(refreshed.plainText).toMatch(/Pending approvals \(1\)\n⏳ Deploy <b>v2<\/b> & restart · from deploy\.sh · until \d\d:\d\d/);

    // The same data as JSON for scripts.
    const json = (await fetch(`http://127.0.0.1:${port}/v1/status`, { headers: { authorization: `Bearer ${apiToken(home)}` } }).then((r) => r.json())) as {
      services: { name: string; state: string }[];
      approvals: unknown[];
    };
    expect(json.services.map((s) => [s.name, s.state])).toEqual([["agent", "up"], ["ghost", "down"]]);
    expect(json.approvals).toHaveLength(1);
    expectWithinLimits(tg);
  });

  it("gaia status prints the running monitor's status, as text or JSON, and exits 4 when none runs", async () => {
    const { home, gaia } = await startMonitor();
    const text = await runGaia(["status"], { home });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Gaia · /);
    expect(text.stdout).toMatch(/CPU +\d/);
    expect(text.stdout).not.toContain("<"); // terminal text, not HTML
    const json = await runGaia(["status", "--json"], { home });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { hostname: string; host: { cpuPercent: number }; heartbeat: { last: string } };
    expect(typeof report.host.cpuPercent).toBe("number");
    expect(Date.parse(report.heartbeat.last)).not.toBeNaN();
    const wrongToken = await runGaia(["status"], { home, env: { GAIA_API_TOKEN: "not-the-token-of-this-monitor" } });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain("refused the API token");

    expect(await gaia.stop("SIGTERM")).toBe(0);
    const after = await runGaia(["status"], { home });
    expect(after.code).toBe(4);
    expect(after.stderr).toContain("gaia is not running");
  });

  it("shows a stranger no data for a command or a button press, and audits both", async () => {
    const { tg, home } = await startMonitor();
    const status = await command(tg, "/status", /^Gaia · /, { chatId: GROUP });

    const refusal = await command(tg, "/status", "not authorized", { chatId: STRANGER, fromId: STRANGER });
    expect(refusal.plainText).toBe("You are not authorized to use this bot.");
    expect(await press(tg, status, "st:0", STRANGER)).toMatchObject({ text: "You are not authorized to use this bot." });
    // The group's message was not touched, and the stranger was sent nothing else.
    expect(current(tg, status).edits).toEqual([]);
    expect(tg.messages(STRANGER).map((m) => m.plainText)).toEqual(["You are not authorized to use this bot."]);
    // A second try within the hour is audited, but not answered again.
    tg.sendUserMessage({ chatId: STRANGER, fromId: STRANGER, text: "/top" });
    const denials = () => {
      const db = new Database(join(home, "gaia.db"), { readonly: true });
      try {
        return db.prepare("SELECT actor, message, details FROM events WHERE kind = 'auth.denied' ORDER BY id").all() as { actor: string; message: string; details: string }[];
      } finally {
        db.close();
      }
    };
    await until(() => denials().length === 3);
    const denied = denials();
    expect(tg.messages(STRANGER)).toHaveLength(1);
    expect(denied.map((d) => [d.actor, d.message])).toEqual([
      [`telegram:${STRANGER}`, "Refused a message from a user who is not an admin"],
      [`telegram:${STRANGER}`, "Refused a button press from a user who is not an admin"],
      [`telegram:${STRANGER}`, "Refused a message from a user who is not an admin"],
    ]);
    expect(JSON.parse(denied[1].details)).toMatchObject({ chatId: GROUP });
    // The menu is registered for the admin only: in the group, as a member.
    expect(tg.commands({ type: "chat_member", chat_id: GROUP, user_id: ADMIN }).map((c) => c.command)).toContain("status");
    expect(tg.commands({ type: "chat", chat_id: GROUP })).toEqual([]);
    expectWithinLimits(tg);
  });

  it("/top ranks a process burning a core first at 50% or more, shows its command line literally, and switches the sort", async () => {
    const burner = startBurner();
    cleanups.push(() => burner.kill("SIGKILL"));
    await once(burner.stdout!, "data");
    const { tg } = await startMonitor();

    const top = await command(tg, "/top", /^Top processes by CPU/);
    const rows = top.plainText.split("\n");
    const header = rows.findIndex((row) => /^ *PID +CPU% +MEM NAME$/.test(row));
    const first = rows[header + 1].trim().split(/\s+/);
    expect(Number(first[0])).toBe(burner.pid);
    expect(Number(first[1])).toBeGreaterThanOrEqual(50);
    expect(rows[header + 2].trim()).toMatch(/^node -e \/\*<b>&amp; x\*\/process/);
    burner.kill("SIGKILL"); // done burning: other tests share these two cores
    expect(top.entities.some((e) => e.type === "pre")).toBe(true);
    expect(top.buttons.map((b) => b.callbackData)).toEqual(["top:mem", "top:cpu"]);

    await press(tg, top, "top:mem");
    const byMemory = current(tg, top);
    expect(byMemory.plainText).toMatch(/^Top processes by memory/);
    expect(byMemory.buttons.map((b) => b.text)).toEqual(["Sort by CPU", "🔄 Refresh"]);
    const mem = byMemory.plainText.split("\n").filter((row) => /^ *\d+ +[\d.]+ +[\d.]+[BKMG] /.test(row)).map((row) => row.trim().split(/\s+/)[2]);
    const bytes = mem.map((m) => Number.parseFloat(m) * { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m.at(-1) as "B"]);
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a));
    expectWithinLimits(tg);
  });

  it("/history lists incidents and events newest first and pages with buttons; /help and unknown commands answer", async () => {
    const { tg, home } = await startMonitor(["services:", "  - name: ghost", "    match: { process: no-such-process-x2 }"].join("\n"));
    await tg.waitForMessage("ghost", { chatId: GROUP, timeoutMs: 15_000 });
    // Forty older events about the ghost, as weeks of monitoring would leave them.
    const db = new Database(join(home, "gaia.db"));
    const insert = db.prepare("INSERT INTO events (at, kind, actor, subject, message) VALUES (?, 'service.down', 'system', 'ghost', ?)");
    for (let i = 0; i < 40; i++) insert.run(new Date(Date.now() - (i + 1) * 3_600_000).toISOString().replace("T", " ").replace("Z", ""), `old event ${i} <&>`);
    db.close();

    const history = await command(tg, "/history ghost", /^History of ghost/);
    expect(history.plainText).toMatch(/^History of ghost \(newest first\) · page 1 of 3/);
    expect(history.plainText).toMatch(/\d\d:\d\d 🔴 ghost down, still open/);
    expect(history.plainText).toContain("old event 0 <&>");
    expect(history.buttons.map((b) => [b.text, b.callbackData])).toEqual([["🔄 Refresh", "hi:0:ghost"], ["Older ›", "hi:1:ghost"]]);

    await press(tg, history, "hi:1:ghost");
    const older = current(tg, history);
    expect(older.plainText).toMatch(/page 2 of 3/);
    expect(older.buttons.map((b) => b.text)).toEqual(["‹ Newer", "🔄 Refresh", "Older ›"]);
    expect(await press(tg, older, "hi:1:ghost")).toMatchObject({ text: "Up to date" });

    const all = await command(tg, "/history", /^History \(newest first\)/);
    expect(all.plainText).toContain("monitor.started Gaia started");
    expect((await command(tg, "/history Bad/Name", "not a service or task name")).plainText).toContain('"bad/name" is not a service or task name');
    expect((await command(tg, "/help", /^Gaia Monitor/)).plainText).toContain("/history — Recent incidents and events: /history [SERVICE]");
    expect((await command(tg, "/nonsense", "I don't know")).plainText).toBe("I don't know /nonsense. Send /help for the list of commands.");
    expectWithinLimits(tg);
  });

  it("keeps every message of a 150-service config within Telegram's limits, paging /status", async () => {
    const services = Array.from({ length: 150 }, (_, i) => [`  - name: service-${String(i).padStart(3, "0")}`, `    match: { process: nothing-${i} }`]).flat();
    const { tg } = await startMonitor(["services:", ...services].join("\n"), { sustain: 2 });

    const status = await command(tg, "/status", /^Gaia · /);
    expect(status.plainText).toContain("Services (0 of 150 up; down ones first)");
    expect(status.plainText).toContain("Services and tasks: page 1 of 8.");
    const names = new Set(status.plainText.match(/service-\d{3}/g));
    let next = status.buttons.find((b) => b.text === "Next ›");
    for (let page = 2; next; page++) {
      await press(tg, status, next.callbackData!);
      const shown = current(tg, status);
      expect(shown.plainText).toContain(`page ${page} of 8`);
      for (const name of shown.plainText.match(/service-\d{3}/g) ?? []) names.add(name);
      next = shown.buttons.find((b) => b.text === "Next ›");
    }
    expect(names.size).toBe(150);
    await command(tg, "/history", /^History/);
    await command(tg, "/top", /^Top processes/);
    await command(tg, "/help", /^Gaia Monitor/);
    expectWithinLimits(tg);
  });
});

/** Resolves once `check` holds, polling; rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * `node -e "/*<b>&amp; x*\/for(;;){}"`: a process burning one core (for at most 20 s), whose
 * command line holds HTML special characters. It runs in a session of its own with raised
 * priority where allowed, so that on a small shared machine it really gets most of a core.
 */
function startBurner(): ChildProcess {
  const child = spawn(
    process.execPath,
    ["-e", '/*<b>&amp; x*/process.stdout.write("go\\n"); const end = Date.now() + 20000; for (;;) { if (Date.now() > end) break; }'],
    { argv0: "node", detached: true, stdio: ["ignore", "pipe", "ignore"] },
  );
  try {
    writeFileSync(`/proc/${child.pid}/autogroup`, "-10");
  } catch {
    // not root, or no autogroup: it still burns, at ordinary priority
  }
  return child;
}
