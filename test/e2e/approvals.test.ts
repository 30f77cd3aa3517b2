import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FakeTelegram, type SentMessage } from "../fakes/telegram.js";
import { measureApprovalPressToExit } from "../helpers/approval-latency.js";
import { freePort, runGaia, startGaia, type GaiaProcess } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const ALICE = 4242;
const BOB = 4343;
const STRANGER = 666;
const CHAT = -1001234567890;

/** A home with two admins and an alert chat, wired to a fresh fake Telegram. */
async function approvalHome() {
  const tg = await FakeTelegram.start({ token: TOKEN });
  const home = makeTempHome("gaia-approvals-");
  const port = await freePort();
  home.writeConfig(`telegram:\n  admins: [${ALICE}, ${BOB}]\n  chat: ${CHAT}\napi:\n  listen: 127.0.0.1:${port}\n`);
  home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
  const start = async (): Promise<GaiaProcess> => {
    const gaia = startGaia(["start"], { home: home.home });
    await gaia.waitForOutput('"msg":"gaia started"', 20_000);
    await tg.waitForPoll(10_000);
    return gaia;
  };
  const apiToken = () => readFileSync(join(home.home, ".private", "api-token"), "utf8").trim();
  const api = async (method: string, path: string, init: { body?: string; token?: string | null; type?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (init.token !== null) headers.authorization = `Bearer ${init.token ?? apiToken()}`;
    if (init.body !== undefined) headers["content-type"] = init.type ?? "application/json";
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const auditKinds = (subject?: string): string[] => {
    const db = new Database(join(home.home, "gaia.db"), { readonly: true });
    try {
      const rows = subject
        ? db.prepare("SELECT kind FROM events WHERE subject = ? ORDER BY id").all(subject)
        : db.prepare("SELECT kind FROM events ORDER BY id").all();
      return rows.map((r) => (r as { kind: string }).kind);
    } finally {
      db.close();
    }
  };
  return { tg, home, port, start, api, auditKinds };
}

type Env = Awaited<ReturnType<typeof approvalHome>>;

/** Starts `gaia approve TITLE ARGS` and resolves with it and its request's message once posted. */
async function ask(env: Env, title: string, args: string[] = []): Promise<{ cli: GaiaProcess; message: SentMessage; id: string }> {
  const cli = startGaia(["approve", title, ...args], { home: env.home.home });
  const message = await env.tg.waitForMessage((m) => m.plainText.includes(title) && m.buttons.length === 2, { chatId: CHAT, timeoutMs: 15_000 });
  await cli.waitForOutput("Waiting for a decision", 10_000);
  const id = /request ([0-9a-f]{16})/.exec(cli.output())![1];
  return { cli, message, id };
}

function button(message: SentMessage, label: "Approve" | "Deny"): string {
  return message.buttons.find((b) => b.text.includes(label))!.callbackData!;
}

/** The message's state once it was edited into a state that `test` accepts. */
function edited(env: Env, message: SentMessage, test: (m: SentMessage) => boolean): Promise<SentMessage> {
  return env.tg.waitForMessage((m) => m.messageId === message.messageId && m.chatId === message.chatId && test(m), { timeoutMs: 10_000 });
}

describe("approvals: a local script asks, an admin taps Approve or Deny, the script goes on", () => {
  let env: Env;
  let monitor: GaiaProcess;
  const clis: GaiaProcess[] = [];

  beforeAll(async () => {
    env = await approvalHome();
    monitor = await env.start();
  });

  afterEach(() => {
    expect(env.tg.rejections).toEqual([]);
    expect(env.tg.markdownCalls).toEqual([]);
  });

  afterAll(async () => {
    for (const cli of clis) await cli.stop("SIGKILL");
    expect(await monitor.stop("SIGTERM")).toBe(0);
    await env.tg.stop();
    env.home.cleanup();
  });

  it("posts the request with its details, and `gaia approve` exits 0 when an admin approves", async () => {
    const { cli, message, id } = await ask(env, "Push to main", ["--details", "3 commits by bob", "--timeout", "5m", "--requester", "ci-runner"]);
    clis.push(cli);
    expect(message.parseMode).toBe("HTML");
    expect(message.plainText).toContain("Approval requested");
    expect(message.plainText).toContain("3 commits by bob");
    expect(message.plainText).toMatch(/Requested by ci-runner on \S+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(message.plainText).toMatch(/Expires .* UTC \(in (5m|4m)\)/);
    expect(message.buttons.map((b) => [b.text, b.callbackData])).toEqual([["✅ Approve", `apr:y:${id}`], ["❌ Deny", `apr:n:${id}`]]);

    const query = env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: ALICE, firstName: "Alice", data: button(message, "Approve") });
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain("Approved by Alice (4242)");
    expect((await env.tg.waitForCallbackAnswer(query)).text).toBe("Approved.");
    const after = await edited(env, message, (m) => m.edits.length > 0);
    expect(after.plainText).toMatch(/^✅ Approved by Alice \(4242\) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\nPush to main/);
    expect(after.buttons).toEqual([]);
    expect(env.auditKinds(id)).toEqual(["approval.created", "approval.posted", "approval.decided"]);
  });

  it("exits 1 when an admin denies", async () => {
    const { cli, message } = await ask(env, "Drop the staging database");
    clis.push(cli);
    env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: BOB, firstName: "Bob", data: button(message, "Deny") });
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain("Denied by Bob (4343)");
    const after = await edited(env, message, (m) => m.edits.length > 0);
    expect(after.plainText.split("\n")[0]).toMatch(/^❌ Denied by Bob \(4343\) at /);
    expect(after.buttons).toEqual([]);
  });

  it("exits 3 when nobody decides in time, and the message says it expired", async () => {
    const started = Date.now();
    const { cli, message, id } = await ask(env, "Reboot the NAS", ["--timeout", "3s"]);
    clis.push(cli);
    expect(await cli.exited).toBe(3);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(cli.output()).toContain("without a decision");
    const after = await edited(env, message, (m) => m.edits.length > 0);
    expect(after.plainText).toMatch(/^⌛ Expired at .* UTC without a decision\nReboot the NAS/);
    expect(after.buttons).toEqual([]);

    // A press from a client that still shows the old buttons is answered, and changes nothing.
    const late = env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: ALICE, data: button(message, "Approve"), stale: true });
    expect((await env.tg.waitForCallbackAnswer(late)).text).toMatch(/^This request expired at /);
    expect((await env.api("GET", `/v1/approvals/${id}`)).body.status).toBe("expired");
    expect(env.auditKinds(id)).toEqual(["approval.created", "approval.posted", "approval.expired", "approval.press_refused"]);
  });

  it("ignores a stranger's press: nothing changes, and the attempt is audited", async () => {
    const { cli, message, id } = await ask(env, "Rotate the backup key");
    clis.push(cli);
    const query = env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: STRANGER, firstName: "Mallory", data: button(message, "Approve") });
    expect((await env.tg.waitForCallbackAnswer(query)).text).toBe("You are not authorized to use this bot.");
    expect((await env.api("GET", `/v1/approvals/${id}`)).body.status).toBe("pending");
    expect(env.tg.messages(CHAT).find((m) => m.messageId === message.messageId)?.edits).toEqual([]);
    expect(cli.child.exitCode).toBeNull();
    expect(env.auditKinds()).toContain("auth.denied");
    expect(env.auditKinds(id)).not.toContain("approval.decided");

    env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: ALICE, data: button(message, "Approve") });
    expect(await cli.exited).toBe(0);
  });

  it("takes one decision when two admins press at the same moment", async () => {
    const { cli, message, id } = await ask(env, "Merge the release branch");
    clis.push(cli);
    const first = env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: ALICE, firstName: "Alice", data: button(message, "Approve") });
    const second = env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: BOB, firstName: "Bob", data: button(message, "Deny") });
    expect(await cli.exited).toBe(0);
    expect((await env.tg.waitForCallbackAnswer(first)).text).toBe("Approved.");
    expect((await env.tg.waitForCallbackAnswer(second)).text).toMatch(/^Already approved by Alice \(4242\) at /);
    const after = await edited(env, message, (m) => m.edits.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300)); // no second edit follows
    expect(env.tg.messages(CHAT).find((m) => m.messageId === message.messageId)?.edits).toHaveLength(1);
    expect(after.plainText).toMatch(/^✅ Approved by Alice/);
    expect((await env.api("GET", `/v1/approvals/${id}`)).body).toMatchObject({ status: "approved", decidedBy: "Alice (4242)" });
    expect(env.auditKinds(id).filter((k) => k === "approval.decided")).toHaveLength(1);
    expect(env.auditKinds(id)).toContain("approval.press_refused");
  });

  it("shows a title with <b> and & literally, in the request and in the outcome", async () => {
    const title = `<b>rm -rf</b> /tmp/cache & "restart" <script>`;
    const { cli, message } = await ask(env, title, ["--details", "a < b && c > d", "--requester", "<i>eve</i>"]);
    clis.push(cli);
    expect(message.plainText).toContain(title);
    expect(message.plainText).toContain("a < b && c > d");
    expect(message.plainText).toContain("Requested by <i>eve</i> on");
    expect(message.entities.filter((e) => e.type !== "bold")).toEqual([]);
    env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: BOB, data: button(message, "Deny") });
    expect(await cli.exited).toBe(1);
    const after = await edited(env, message, (m) => m.edits.length > 0);
    expect(after.plainText).toContain(title);
  });

  it("lists pending requests with their buttons on /approvals, and a press on the copy decides the original", async () => {
    const created = [];
    for (const title of ["Deploy v2", "Renew the certificate"]) {
      const answer = await env.api("POST", "/v1/approvals", { body: JSON.stringify({ title, requester: "api-test" }) });
      expect(answer.status).toBe(201);
      created.push({ title, id: answer.body.id as string });
    }
    const originals = await Promise.all(created.map(({ title }) => env.tg.waitForMessage((m) => m.plainText.includes(title) && m.chatId === CHAT, { timeoutMs: 10_000 })));

    env.tg.sendUserMessage({ chatId: ALICE, fromId: ALICE, firstName: "Alice", text: "/approvals" });
    await env.tg.waitForMessage("2 approval requests are waiting for a decision", { chatId: ALICE, timeoutMs: 10_000 });
    const copy = await env.tg.waitForMessage((m) => m.plainText.includes("Deploy v2") && m.buttons.length === 2, { chatId: ALICE, timeoutMs: 10_000 });
    await env.tg.waitForMessage((m) => m.plainText.includes("Renew the certificate") && m.buttons.length === 2, { chatId: ALICE, timeoutMs: 10_000 });

    const query = env.tg.pressButton({ chatId: ALICE, messageId: copy.messageId, fromId: ALICE, firstName: "Alice", data: button(copy, "Approve") });
    expect((await env.tg.waitForCallbackAnswer(query)).text).toBe("Approved.");
    expect((await edited(env, originals[0], (m) => m.edits.length > 0)).buttons).toEqual([]);
    expect((await edited(env, copy, (m) => m.edits.length > 0)).plainText).toMatch(/^✅ Approved by Alice/);
    expect((await env.api("GET", `/v1/approvals/${created[0].id}`)).body.status).toBe("approved");

    env.tg.pressButton({ chatId: CHAT, messageId: originals[1].messageId, fromId: BOB, data: button(originals[1], "Deny") });
    expect((await env.api("GET", `/v1/approvals/${created[1].id}?wait=10`)).body.status).toBe("denied");
    env.tg.sendUserMessage({ chatId: BOB, fromId: BOB, text: "/approvals" });
    await env.tg.waitForMessage("No approval request is waiting for a decision.", { chatId: BOB, timeoutMs: 10_000 });
  });

  it("answers every API error with its status and a JSON error", async () => {
    const post = (body: string, init: { token?: string | null; type?: string } = {}) => env.api("POST", "/v1/approvals", { body, ...init });
    const malformed = await post('{"title": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/malformed JSON/);
    expect((await post(JSON.stringify({ title: "x" }), { token: null })).status).toBe(401);
    expect((await post(JSON.stringify({ title: "x" }), { token: "wrong-token-of-the-right-length-0000" })).status).toBe(401);
    const unknown = await env.api("GET", "/v1/approvals/0123456789abcdef");
    expect(unknown).toEqual({ status: 404, body: { error: 'no approval request with id "0123456789abcdef"' } });
    const large = await post(JSON.stringify({ title: "x", details: "y".repeat(65 * 1024) }));
    expect(large).toEqual({ status: 413, body: { error: "body too large: at most 64 KiB" } });
    const invalid = await post(JSON.stringify({ title: "", timeout: 0, details: 5 }));
    expect(invalid.status).toBe(422);
    expect(invalid.body.error).toBe(
      "invalid request: title: must not be empty; details: must be a string; timeout: must be a whole number of seconds from 1 to 604800 (7 days)",
    );
    expect((await env.api("GET", "/v1/approvals/0123456789abcdef?wait=600")).status).toBe(422);
  });

  it("counts the approvals on /metrics", async () => {
    const text = await fetch(`http://127.0.0.1:${env.port}/metrics`).then((r) => r.text());
    expect(Number(/^gaia_approvals_created_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(8);
    expect(Number(/^gaia_approvals_settled_total\{outcome="approved"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(4);
    expect(Number(/^gaia_approvals_settled_total\{outcome="denied"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^gaia_approvals_settled_total\{outcome="expired"\} 1$/m);
    expect(text).toMatch(/^gaia_approvals_pending 0$/m);
  });

  it("measures an Approve press to the exit of `gaia approve` (the benchmark's figure)", async () => {
    const { pressToExitMs, exitCode } = await measureApprovalPressToExit({ tg: env.tg, home: env.home.home, chatId: CHAT, adminId: ALICE });
    expect(exitCode).toBe(0);
    console.info(`Approve press → gaia approve exited: ${pressToExitMs.toFixed(0)} ms`);
    expect(pressToExitMs).toBeLessThan(3_000);
  });
});

describe("approvals across a crash and a Telegram outage", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("keeps a pending request through kill -9: the old message's button decides it, and the waiting script gets it", async () => {
    const env = await approvalHome();
    cleanups.push(() => env.tg.stop(), () => env.home.cleanup());
    const first = await env.start();
    cleanups.push(() => first.stop("SIGKILL"));
    const { cli, message, id } = await ask(env, "Restore from backup", ["--timeout", "5m"]);
    cleanups.push(() => cli.stop("SIGKILL"));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the script is long-polling now

    first.child.kill("SIGKILL");
    expect(await first.exited).toBe(137);
    await cli.waitForOutput("Lost the monitor", 10_000);
    expect(cli.child.exitCode).toBeNull();

    const second = await env.start();
    cleanups.push(() => second.stop("SIGKILL"));
    const query = env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: BOB, firstName: "Bob", data: button(message, "Approve") });
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain("The monitor is back");
    expect(cli.output()).toContain("Approved by Bob (4343)");
    expect((await env.tg.waitForCallbackAnswer(query)).text).toBe("Approved.");
    expect((await edited(env, message, (m) => m.edits.length > 0)).buttons).toEqual([]);
    // Posted once: the restart did not post the request again.
    expect(env.tg.messages(CHAT).filter((m) => m.plainText.includes("Restore from backup"))).toHaveLength(1);
    expect(env.auditKinds(id)).toEqual(["approval.created", "approval.posted", "approval.decided"]);
    expect(env.tg.rejections).toEqual([]);
    expect(await second.stop("SIGTERM")).toBe(0);
  });

  it("changes nothing when Telegram delivers a press again after an unclean stop", async () => {
    const env = await approvalHome();
    cleanups.push(() => env.tg.stop(), () => env.home.cleanup());
    const gaia = await env.start();
    cleanups.push(() => gaia.stop("SIGKILL"));
    const { cli, message, id } = await ask(env, "Apply the migration");
    cleanups.push(() => cli.stop("SIGKILL"));
    const data = button(message, "Deny");
    const query = env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: ALICE, firstName: "Alice", data });
    expect(await cli.exited).toBe(1);
    await env.tg.waitForCallbackAnswer(query);
    await edited(env, message, (m) => m.edits.length > 0);

    // The same update once more, as Telegram resends one whose offset was never confirmed.
    env.tg.injectUpdate({
      callback_query: {
        id: query,
        from: { id: ALICE, is_bot: false, first_name: "Alice" },
        message: { message_id: message.messageId, date: message.date, chat: { id: CHAT, type: "supergroup", title: "Gaia admins" }, text: message.plainText, reply_markup: { inline_keyboard: [[{ text: "✅ Approve", callback_data: button(message, "Approve") }, { text: "❌ Deny", callback_data: data }]] } },
        chat_instance: "1",
        data,
      },
    });
    await env.tg.waitForCall("answerCallbackQuery", (c) => !c.ok);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(env.tg.messages(CHAT).find((m) => m.messageId === message.messageId)?.edits).toHaveLength(1);
    expect((await env.api("GET", `/v1/approvals/${id}`)).body).toMatchObject({ status: "denied", decidedBy: "Alice (4242)" });
    expect(env.auditKinds(id).filter((k) => k === "approval.decided")).toHaveLength(1);
    // Telegram refuses a second answer to the same query; that refusal is the only one.
    expect(env.tg.rejections.map((c) => `${c.method}: ${c.description}`)).toEqual([
      "answerCallbackQuery: Bad Request: query is too old and response timeout expired or query ID is invalid",
    ]);
    expect(gaia.output()).not.toContain("a chat handler failed");
    expect(await gaia.stop("SIGTERM")).toBe(0);
  });

  it("posts a request stored while Telegram was down once it is back", async () => {
    const env = await approvalHome();
    cleanups.push(() => env.tg.stop(), () => env.home.cleanup());
    const gaia = await env.start();
    cleanups.push(() => gaia.stop("SIGKILL"));

    env.tg.setOutage(true);
    const created = await env.api("POST", "/v1/approvals", { body: JSON.stringify({ title: "Sent during an outage" }) });
    expect(created.status).toBe(201);
    await env.tg.waitForCall("sendMessage", (c) => c.injected, 10_000); // the post was tried, and failed
    env.tg.setOutage(false);

    const message = await env.tg.waitForMessage((m) => m.plainText.includes("Sent during an outage") && m.buttons.length === 2, { chatId: CHAT, timeoutMs: 15_000 });
    env.tg.pressButton({ chatId: CHAT, messageId: message.messageId, fromId: ALICE, data: button(message, "Approve") });
    expect((await env.api("GET", `/v1/approvals/${created.body.id}?wait=10`)).body.status).toBe("approved");
    expect(env.tg.messages(CHAT).filter((m) => m.plainText.includes("Sent during an outage"))).toHaveLength(1);
    expect(env.tg.rejections).toEqual([]);
    expect(await gaia.stop("SIGTERM")).toBe(0);
  });
});

describe("approvals in console mode", () => {
  it("prints the request at the console, where typing the Approve button's number decides it", async () => {
    const home = makeTempHome("gaia-approve-console-");
    home.writeConfig(`telegram:\n  admins: [${ALICE}]\napi:\n  listen: 127.0.0.1:${await freePort()}\n`);
    const gaia = startGaia(["start", "--console"], { home: home.home, stdin: "pipe" });
    try {
      await gaia.waitForOutput("gaia> ", 20_000);
      const cli = startGaia(["approve", "Console <push> & go"], { home: home.home });
      await gaia.waitForOutput(/Console <push> & go[\s\S]*\[(\d+)\] ✅ Approve/, 15_000);
      const number = /\[(\d+)\] ✅ Approve/.exec(gaia.output())![1];
      gaia.child.stdin!.write(`${number}\n`);
      expect(await cli.exited).toBe(0);
      await gaia.waitForOutput("(Approved.)", 10_000);
      await gaia.waitForOutput(/\(updated\) ✅ Approved by Console \(4242\)/, 10_000);
      gaia.child.stdin!.end();
      expect(await gaia.exited).toBe(0);
    } finally {
      await gaia.stop("SIGKILL");
      home.cleanup();
    }
  });
});

describe("gaia approve without a monitor, or used wrongly", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  afterAll(() => homes.forEach((h) => h.cleanup()));

  async function idleHome() {
    const home = makeTempHome("gaia-approve-cli-");
    homes.push(home);
    home.writeConfig(`telegram:\n  admins: [${ALICE}]\napi:\n  listen: 127.0.0.1:${await freePort()}\n`);
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN });
    return home;
  }

  it("exits 4 when no monitor runs, whether one never ran or it is not running now", async () => {
    const home = await idleHome();
    const never = await runGaia(["approve", "Anyone there?"], { home: home.home });
    expect(never.code).toBe(4);
    expect(never.stderr).toContain("no monitor has run");
    const gone = await runGaia(["approve", "Anyone there?"], { home: home.home, env: { GAIA_API_TOKEN: "a-token-that-is-long-enough-0123" } });
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(/no monitor is running \(nothing answers on 127\.0\.0\.1:\d+\)/);
  });

  it.each([
    [[], "give the TITLE to approve"],
    [["two", "titles"], "give one TITLE (quote it)"],
    [["T", "--timeout", "soon"], '--timeout: "soon" is not a duration'],
    [["T", "--timeout"], "--timeout"],
    [["T", "--colour", "red"], "Unknown option '--colour'"],
    [["x".repeat(201)], "title: must be at most 200 characters"],
    [["T", "--timeout", "30d"], "--timeout: must be a whole number of seconds"],
  ])("exits 2 with the usage for %j", async (args, message) => {
    const home = await idleHome();
    const result = await runGaia(["approve", ...args], { home: home.home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("Usage: gaia approve TITLE");
  });
});
