import { autoRetry } from "@grammyjs/auto-retry";
import { Api, Bot, GrammyError, HttpError } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeTelegram } from "./telegram.js";

const TOKEN = "123456789:TEST-token-for-the-fake-bot-api_0123";
const ADMIN = 424242;
const CANT_PARSE = "Bad Request: can't parse entities: ";

let tg: FakeTelegram;
let api: Api;

beforeEach(async () => {
  tg = await FakeTelegram.start({ token: TOKEN });
  api = new Api(TOKEN, { apiRoot: tg.apiRoot });
});

afterEach(async () => {
  await tg.stop();
});

/** The Bot API error a grammY call failed with (fails the test when the call succeeded). */
async function refusal(call: Promise<unknown>): Promise<GrammyError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the call should have been refused").toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

/** A raw request, for the encodings grammY does not use. */
async function raw(method: string, init: RequestInit = {}, token = TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${tg.apiRoot}/bot${token}/${method}`, init);
  return { status: res.status, body: await res.json() };
}

describe("the bot's identity and the routes", () => {
  it("answers getMe for the configured token, with the bot id taken from the token", async () => {
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 123456789, is_bot: true, username: "gaia_test_bot" });
    expect(tg.rejections).toEqual([]);
  });

  it("answers 401 Unauthorized to any other token", async () => {
    const other = new Api("123456789:someone-else-entirely-wrong-token", { apiRoot: tg.apiRoot });
    const error = await refusal(other.getMe());
    expect(error.error_code).toBe(401);
    expect(error.description).toBe("Unauthorized");
  });

  it("answers 404 Not Found to an unknown method, and takes method names in any case", async () => {
    expect(await raw("sendTelepathy", { method: "POST" })).toEqual({
      status: 404,
      body: { ok: false, error_code: 404, description: "Not Found" },
    });
    expect((await raw("GETME")).body.result.id).toBe(123456789);
    expect(tg.rejections.map((c) => c.method)).toEqual(["sendTelepathy"]);
  });

  it("reads urlencoded and multipart bodies as Telegram does, JSON strings included", async () => {
    const form = await raw("sendMessage", {
      method: "POST",
      body: new URLSearchParams({
        chat_id: String(ADMIN),
        text: "from a form",
        reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "Go", callback_data: "go" }]] }),
      }),
    });
    expect(form.status).toBe(200);
    const multipart = new FormData();
    multipart.set("chat_id", String(ADMIN));
    multipart.set("text", "<i>from multipart</i>");
    multipart.set("parse_mode", "HTML");
    expect((await raw("sendMessage", { method: "POST", body: multipart })).body.result.text).toBe("from multipart");
    expect(tg.messages(ADMIN).map((m) => [m.messageId, m.plainText, m.buttons.length])).toEqual([
      [1, "from a form", 1],
      [2, "from multipart", 0],
    ]);
  });
});

describe("sending messages", () => {
  it("accepts escaped HTML and records what the user sees, with ids per chat and unix dates", async () => {
    const before = Math.floor(Date.now() / 1000);
    const sent = await api.sendMessage(
      ADMIN,
      '🔴 <b>agent</b> is down &lt;pid 12&gt; &amp; <a href="https://example.com/x?a=1&amp;b=2">logs</a>\n<pre><code class="language-sh">tail -n 5</code></pre>',
      { parse_mode: "HTML" },
    );
    expect(sent.text).toBe("🔴 agent is down <pid 12> & logs\ntail -n 5");
    expect(sent.entities).toEqual([
      { type: "bold", offset: 3, length: 5 },
      { type: "text_link", offset: 28, length: 4, url: "https://example.com/x?a=1&b=2" },
      { type: "pre", offset: 33, length: 9, language: "sh" },
    ]);
    expect(sent.date).toBeGreaterThanOrEqual(before);
    expect(sent.date).toBeLessThan(before + 5);
    await api.sendMessage(ADMIN, "second");
    await api.sendMessage(-1001234567890, "<tg-spoiler>group</tg-spoiler> <blockquote expandable>q</blockquote>", { parse_mode: "HTML" });
    expect(tg.messages().map((m) => [m.chatId, m.messageId])).toEqual([
      [ADMIN, 1],
      [ADMIN, 2],
      [-1001234567890, 1],
    ]);
    expect(tg.messages(ADMIN)[0]).toMatchObject({ parseMode: "HTML", deleted: false, edits: [] });
    expect(tg.rejections).toEqual([]);
  });

  it.each([
    ["<b>x", `Can't find end tag corresponding to start tag "b"`],
    ["a & b", `Unescaped "&" at byte offset 2; write it as &amp;`],
    ["<foo>", `Unsupported start tag "foo" at byte offset 0`],
    ["Disk: <foo>", `Unsupported start tag "foo" at byte offset 6`],
    ["é <foo>", `Unsupported start tag "foo" at byte offset 3`],
    ["x</b>", "Unexpected end tag at byte offset 1"],
    ["<b>x</i>", `Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`],
    ["1 < 2", `Unsupported start tag "" at byte offset 2`],
    ["cpu<90", "Unclosed start tag at byte offset 3"],
    ["it&apos;s", `Unsupported HTML entity "&apos;" at byte offset 2; Telegram knows only &lt; &gt; &amp; &quot; and numeric references`],
    ["&lt without semicolon", `Unescaped "&" at byte offset 0; write it as &amp;`],
    ["<span>x</span>", `Tag "span" must have class "tg-spoiler" at byte offset 0`],
    ["<a href=x y>z</a>", `Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0`],
  ])("refuses the malformed HTML %j with Telegram's description", async (html, why) => {
    const error = await refusal(api.sendMessage(ADMIN, html, { parse_mode: "HTML" }));
    expect(error.error_code).toBe(400);
    expect(error.description).toBe(CANT_PARSE + why);
    expect(tg.messages()).toEqual([]);
    expect(tg.rejections).toHaveLength(1);
    expect(tg.rejections[0]).toMatchObject({ method: "sendMessage", status: 400, description: CANT_PARSE + why });
  });

  it("measures the 4096 limit in UTF-16 units of the visible text", async () => {
    await api.sendMessage(ADMIN, "a".repeat(4096));
    await api.sendMessage(ADMIN, `<b>${"&amp;".repeat(4096)}</b>`, { parse_mode: "HTML" });
    expect(tg.messages(ADMIN).map((m) => m.plainText.length)).toEqual([4096, 4096]);

    for (const [text, parseMode] of [
      ["a".repeat(4097), undefined],
      [`<i>${"x".repeat(4097)}</i>`, "HTML"],
      ["😀".repeat(2049), undefined], // 2049 characters, 4098 UTF-16 units
    ] as const) {
      const error = await refusal(api.sendMessage(ADMIN, text, parseMode ? { parse_mode: parseMode } : {}));
      expect(error.description).toBe("Bad Request: message is too long");
    }
    expect((await refusal(api.sendMessage(ADMIN, "<b> </b>", { parse_mode: "HTML" }))).description).toBe(
      "Bad Request: message text is empty",
    );
    expect(tg.rejections).toHaveLength(4);
  });

  it("checks inline buttons: callback_data of at most 64 bytes, and an action on every button", async () => {
    const keyboard = (button: object) => ({ reply_markup: { inline_keyboard: [[button]] } }) as never;
    await api.sendMessage(ADMIN, "ok", keyboard({ text: "64 bytes", callback_data: "d".repeat(64) }));
    await api.sendMessage(ADMIN, "ok", keyboard({ text: "docs", url: "https://example.com" }));

    const cases: [object, string][] = [
      [{ text: "65 bytes", callback_data: "d".repeat(65) }, "Bad Request: BUTTON_DATA_INVALID"],
      [{ text: "33 é = 66 bytes", callback_data: "é".repeat(33) }, "Bad Request: BUTTON_DATA_INVALID"],
      [{ text: "no action" }, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"],
      [{ callback_data: "x" }, `Bad Request: can't parse inline keyboard button: Can't find field "text"`],
      [{ text: "ftp", url: "ftp://example.com" }, "Bad Request: inline keyboard button URL 'ftp://example.com' is invalid: Unsupported URL protocol"],
    ];
    for (const [button, description] of cases) {
      expect((await refusal(api.sendMessage(ADMIN, "x", keyboard(button)))).description).toBe(description);
    }
    expect(tg.messages(ADMIN)).toHaveLength(2);
    expect(tg.messages(ADMIN)[0].buttons).toEqual([{ text: "64 bytes", callbackData: "d".repeat(64) }]);
  });

  it("records Markdown so that tests can assert it is never used", async () => {
    await api.sendMessage(ADMIN, "plain");
    await api.sendMessage(ADMIN, "<b>html</b>", { parse_mode: "HTML" });
    expect(tg.markdownCalls).toEqual([]);
    await api.sendMessage(ADMIN, "*bold*", { parse_mode: "MarkdownV2" });
    expect(tg.markdownCalls.map((c) => c.params.parse_mode)).toEqual(["MarkdownV2"]);
  });

  it("can refuse chats that no user has written in", async () => {
    const strict = await FakeTelegram.start({ token: TOKEN, knownChatsOnly: true });
    try {
      const strictApi = new Api(TOKEN, { apiRoot: strict.apiRoot });
      expect((await refusal(strictApi.sendMessage(ADMIN, "hello"))).description).toBe("Bad Request: chat not found");
      strict.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/start" });
      await strictApi.sendMessage(ADMIN, "hello");
      expect(strict.messages(ADMIN).map((m) => m.messageId)).toEqual([2]); // the user's /start was 1
    } finally {
      await strict.stop();
    }
  });
});

describe("editing and deleting", () => {
  const buttons = { inline_keyboard: [[{ text: "Approve", callback_data: "a:1" }, { text: "Deny", callback_data: "d:1" }]] };

  it("refuses an edit that changes nothing, and keeps the history of real edits", async () => {
    const sent = await api.sendMessage(ADMIN, "<b>Approve?</b>", { parse_mode: "HTML", reply_markup: buttons });
    const same = await refusal(
      api.editMessageText(ADMIN, sent.message_id, "<strong>Approve?</strong>", { parse_mode: "HTML", reply_markup: buttons }),
    );
    expect(same.description).toBe(
      "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    );
    expect((await refusal(api.editMessageReplyMarkup(ADMIN, sent.message_id, { reply_markup: buttons }))).description).toMatch(
      /^Bad Request: message is not modified/,
    );

    // Same text without the keyboard is a change: Telegram removes the buttons.
    await api.editMessageText(ADMIN, sent.message_id, "<b>Approve?</b>", { parse_mode: "HTML" });
    await api.editMessageText(ADMIN, sent.message_id, "✅ Approved by Ann");
    const [message] = tg.messages(ADMIN);
    expect(message.plainText).toBe("✅ Approved by Ann");
    expect(message.parseMode).toBeUndefined();
    expect(message.buttons).toEqual([]);
    expect(message.edits.map((e) => e.plainText)).toEqual(["Approve?", "✅ Approved by Ann"]);
    expect(message.editDate).toBeGreaterThan(0);
    expect(tg.rejections).toHaveLength(2);
  });

  it("refuses to edit a message that is not there, or not the bot's", async () => {
    expect((await refusal(api.editMessageText(ADMIN, 99, "x"))).description).toBe("Bad Request: message to edit not found");
    const typed = tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "ghp_secret" });
    expect((await refusal(api.editMessageText(ADMIN, typed.message.message_id, "x"))).description).toBe(
      "Bad Request: message can't be edited",
    );
    const sent = await api.sendMessage(ADMIN, "bye");
    await api.deleteMessage(ADMIN, sent.message_id);
    expect((await refusal(api.editMessageText(ADMIN, sent.message_id, "again"))).description).toBe(
      "Bad Request: message to edit not found",
    );
    expect((await refusal(api.deleteMessage(ADMIN, sent.message_id))).description).toBe("Bad Request: message to delete not found");
  });

  it("lets the bot delete the message in which a user pasted a token", async () => {
    const update = tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "ghp_newtoken" });
    expect(tg.userMessages(ADMIN)[0].deleted).toBe(false);
    await api.deleteMessage(ADMIN, update.message.message_id);
    expect(tg.userMessages(ADMIN)).toEqual([
      expect.objectContaining({ messageId: update.message.message_id, text: "ghp_newtoken", deleted: true }),
    ]);
  });
});

describe("getUpdates", () => {
  it("confirms updates by offset, honours limit, and keeps the last -offset on a negative offset", async () => {
    const ids = ["/status", "/top", "/help"].map((text) => tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text }).update_id);
    expect((await api.getUpdates({ limit: 2 })).map((u) => u.update_id)).toEqual(ids.slice(0, 2));
    expect((await api.getUpdates()).map((u) => u.update_id)).toEqual(ids); // nothing confirmed yet
    expect((await api.getUpdates({ offset: ids[1] })).map((u) => u.update_id)).toEqual(ids.slice(1));
    expect((await api.getUpdates({ offset: -1 })).map((u) => u.update_id)).toEqual([ids[2]]);
    expect(await api.getUpdates({ offset: ids[2] + 1 })).toEqual([]);
    const [first] = (await api.getUpdates({ offset: 0 })) ?? [];
    expect(first).toBeUndefined();
  });

  it("marks a leading command with a bot_command entity", async () => {
    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/mute@gaia_test_bot agent 2h", firstName: "Ann" });
    const [update] = await api.getUpdates();
    expect(update.message).toMatchObject({
      text: "/mute@gaia_test_bot agent 2h",
      entities: [{ type: "bot_command", offset: 0, length: 19 }],
      from: { id: ADMIN, first_name: "Ann", is_bot: false },
      chat: { id: ADMIN, type: "private" },
    });
  });

  it("delivers only the allowed update types, and remembers the choice", async () => {
    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "hi" });
    const sent = await api.sendMessage(ADMIN, "pick", { reply_markup: { inline_keyboard: [[{ text: "A", callback_data: "a" }]] } });
    tg.pressButton({ chatId: ADMIN, messageId: sent.message_id, fromId: ADMIN, data: "a" });
    expect((await api.getUpdates({ allowed_updates: ["callback_query"] })).map((u) => Object.keys(u)[1])).toEqual(["callback_query"]);
    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "dropped" });
    expect((await api.getUpdates()).map((u) => u.callback_query?.data)).toEqual(["a"]);
  });

  it("answers a waiting long poll as soon as an update is injected", async () => {
    const poll = api.getUpdates({ timeout: 30 });
    await tg.waitForPoll();
    const start = Date.now();
    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/status" });
    const updates = await poll;
    expect(Date.now() - start).toBeLessThan(1000); // not the 30 s of the poll
    expect(updates.map((u) => u.message?.text)).toEqual(["/status"]);
  });

  it("ends an empty long poll after its timeout", async () => {
    const start = Date.now();
    expect(await api.getUpdates({ timeout: 1 })).toEqual([]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(950);
  });

  it("terminates the first of two concurrent polls with 409 Conflict", async () => {
    const first = refusal(api.getUpdates({ timeout: 30 }));
    await tg.waitForPoll();
    const second = api.getUpdates({ timeout: 0 });
    const conflict = await first;
    expect(conflict.error_code).toBe(409);
    expect(conflict.description).toBe("Conflict: terminated by other getUpdates request; make sure that only one bot instance is running");
    expect(await second).toEqual([]);
  });
});

describe("a real grammY bot against the fake", () => {
  it("receives an injected command within a long poll, replies, and stops cleanly", async () => {
    const bot = new Bot(TOKEN, { client: { apiRoot: tg.apiRoot } });
    let handledAt = 0;
    bot.command("status", async (ctx) => {
      handledAt = Date.now();
      await ctx.reply("<b>All good</b>: 3 services up", { parse_mode: "HTML" });
    });
    const running = bot.start({ drop_pending_updates: true });
    await tg.waitForPoll();

    const injectedAt = Date.now();
    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/status" });
    const reply = await tg.waitForMessage(/All good/, { timeoutMs: 2000, chatId: ADMIN });
    expect(handledAt - injectedAt).toBeLessThan(1000);
    expect(reply).toMatchObject({ plainText: "All good: 3 services up", parseMode: "HTML", messageId: 2 });

    await bot.stop();
    await running;
    expect(tg.rejections).toEqual([]);
    expect(tg.calls.map((c) => c.method)).toEqual(expect.arrayContaining(["getMe", "deleteWebhook", "getUpdates", "sendMessage"]));
  });

  it("gets a button press, answers it once, and a second answer is refused", async () => {
    const bot = new Bot(TOKEN, { client: { apiRoot: tg.apiRoot } });
    const secondAnswer: Promise<GrammyError>[] = [];
    bot.callbackQuery(/^approve:(\d+)$/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: "Approved" });
      await ctx.editMessageText(`Approved by ${ctx.from.first_name}`);
      secondAnswer.push(refusal(ctx.answerCallbackQuery()));
    });
    const running = bot.start();
    const request = await api.sendMessage(ADMIN, "Deploy?", {
      reply_markup: { inline_keyboard: [[{ text: "Approve", callback_data: "approve:7" }]] },
    });
    const queryId = tg.pressButton({ chatId: ADMIN, messageId: request.message_id, fromId: ADMIN, data: "approve:7", firstName: "Ann" });
    expect(tg.callbackAnswer(queryId)).toBeUndefined();
    expect(await tg.waitForCallbackAnswer(queryId, 2000)).toMatchObject({ callback_query_id: queryId, text: "Approved" });
    await tg.waitForMessage("Approved by Ann", { timeoutMs: 2000 });
    await expect.poll(() => secondAnswer.length).toBe(1);
    expect((await secondAnswer[0]).description).toBe(
      "Bad Request: query is too old and response timeout expired or query ID is invalid",
    );
    await bot.stop();
    await running;

    // The keyboard is gone now: pressing it again is impossible, unless the client still shows it.
    expect(() => tg.pressButton({ chatId: ADMIN, messageId: request.message_id, fromId: ADMIN, data: "approve:7" })).toThrow(
      /has no button with callback_data "approve:7"; it shows: no buttons/,
    );
    expect(tg.pressButton({ chatId: ADMIN, messageId: request.message_id, fromId: 7, data: "approve:7", stale: true })).toMatch(/^\d+$/);
    expect(tg.rejections.map((c) => c.method)).toEqual(["answerCallbackQuery"]);
  });

  it("refuses answers to unknown callback queries", async () => {
    expect((await refusal(api.answerCallbackQuery("4711"))).description).toBe(
      "Bad Request: query is too old and response timeout expired or query ID is invalid",
    );
  });
});

describe("waiting for messages", () => {
  it("resolves with a message sent before or after the call, matching any version of it", async () => {
    const sent = await api.sendMessage(ADMIN, "Rotation: step 1/3");
    const later = tg.waitForMessage((m) => m.plainText.endsWith("3/3") && m.edits.length === 2);
    await api.editMessageText(ADMIN, sent.message_id, "Rotation: step 2/3");
    await api.editMessageText(ADMIN, sent.message_id, "Rotation: step 3/3");
    expect((await later).messageId).toBe(sent.message_id);
    expect((await tg.waitForMessage("step 1/3")).plainText).toBe("Rotation: step 1/3");
    await expect(tg.waitForMessage("step 1/3", { newOnly: true, timeoutMs: 50 })).rejects.toThrow(/no a message matching/);
  });

  it("fails with a list of what the bot sent and what was refused", async () => {
    await api.sendMessage(ADMIN, "🟢 agent is back");
    await refusal(api.sendMessage(ADMIN, "<b>oops", { parse_mode: "HTML" }));
    const error = await tg.waitForMessage(/🔴/, { timeoutMs: 100 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`[chat ${ADMIN} #1] "🟢 agent is back"`);
    expect((error as Error).message).toContain(`sendMessage: 400 ${CANT_PARSE}Can't find end tag corresponding to start tag "b"`);
  });
});

describe("commands", () => {
  it("stores valid commands per scope and refuses invalid ones", async () => {
    await api.setMyCommands([
      { command: "status", description: "What is up" },
      { command: "mute", description: "Silence a service" },
    ]);
    await api.setMyCommands([{ command: "approvals", description: "Pending approvals" }], { scope: { type: "chat", chat_id: ADMIN } });
    expect(tg.commands().map((c) => c.command)).toEqual(["status", "mute"]);
    expect(tg.commands({ type: "chat", chat_id: ADMIN })).toEqual([{ command: "approvals", description: "Pending approvals" }]);
    expect((await api.getMyCommands()).length).toBe(2);

    const invalid: [{ command: string; description: string }, string][] = [
      [{ command: "Status", description: "x" }, "Bad Request: BOT_COMMAND_INVALID"],
      [{ command: "with-dash", description: "x" }, "Bad Request: BOT_COMMAND_INVALID"],
      [{ command: "c".repeat(33), description: "x" }, "Bad Request: command length must not exceed 32"],
      [{ command: "status", description: "" }, "Bad Request: command description must be non-empty"],
      [{ command: "status", description: "d".repeat(257) }, "Bad Request: command description length must not exceed 256"],
    ];
    for (const [command, description] of invalid) {
      expect((await refusal(api.setMyCommands([command]))).description).toBe(description);
    }
    expect(tg.commands().map((c) => c.command)).toEqual(["status", "mute"]);
    await api.deleteMyCommands();
    expect(tg.commands()).toEqual([]);
  });
});

describe("failure injection", () => {
  it("answers 429 with retry_after, which grammY's auto-retry honours", async () => {
    tg.rateLimitNext("sendMessage", 1);
    const error = await refusal(api.sendMessage(ADMIN, "first"));
    expect(error.error_code).toBe(429);
    expect(error.description).toBe("Too Many Requests: retry after 1");
    expect(error.parameters.retry_after).toBe(1);

    tg.rateLimitNext("sendMessage", 1);
    const retrying = new Api(TOKEN, { apiRoot: tg.apiRoot });
    retrying.config.use(autoRetry());
    const start = Date.now();
    await retrying.sendMessage(ADMIN, "second");
    expect(Date.now() - start).toBeGreaterThanOrEqual(950);
    expect(tg.messages(ADMIN).map((m) => m.plainText)).toEqual(["second"]);
    expect(tg.calls.filter((c) => c.injected).map((c) => c.status)).toEqual([429, 429]);
    expect(tg.rejections).toEqual([]); // injected failures are the test's doing, not the bot's
  });

  it("fails the next calls of a method with a 5xx, then works again", async () => {
    tg.failNext("getMe", 2, { status: 500 });
    for (let i = 0; i < 2; i++) {
      const error = await refusal(api.getMe());
      expect([error.error_code, error.description]).toEqual([500, "Internal Server Error"]);
    }
    expect((await api.getMe()).id).toBe(123456789);
  });

  it("in an outage answers nginx's 502 page or drops connections, until it ends", async () => {
    tg.setOutage(true);
    const page = await api.getMe().catch((e: unknown) => e);
    expect(page).toBeInstanceOf(HttpError);
    const html = await fetch(`${tg.apiRoot}/bot${TOKEN}/getMe`);
    expect([html.status, await html.text()]).toEqual([502, expect.stringContaining("502 Bad Gateway")]);

    tg.setOutage(true, { destroySocket: true });
    expect(await api.sendMessage(ADMIN, "lost").catch((e: unknown) => e)).toBeInstanceOf(HttpError);
    expect(tg.messages()).toEqual([]);

    tg.setOutage(false);
    expect((await api.getMe()).id).toBe(123456789);
    expect(tg.calls.filter((c) => c.injected)).toHaveLength(3);
    expect(tg.rejections).toEqual([]);
  });

  it("breaks a waiting long poll when the outage starts, and a grammY bot recovers after it", async () => {
    const bot = new Bot(TOKEN, { client: { apiRoot: tg.apiRoot } });
    bot.on("message:text", (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
    const running = bot.start();
    await tg.waitForPoll();
    tg.setOutage(true);
    await expect.poll(() => tg.calls.some((c) => c.method === "getUpdates" && c.status === 502)).toBe(true);
    tg.setOutage(false);
    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "still there?" });
    // grammY waits 3 s before polling again after a network error.
    expect((await tg.waitForMessage("echo: still there?", { timeoutMs: 6000 })).chatId).toBe(ADMIN);
    await bot.stop();
    await running;
    expect(tg.rejections).toEqual([]);
  }, 10_000);
});
