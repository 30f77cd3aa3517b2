import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { freePort, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const ADMIN = 4242;
const STRANGER = 6666;
const GROUP = -1001234567890;
const OTHER_GROUP = -1009999999999;
const LIMIT = 4096;

/**
 * The chat under odd and hostile input, against the real gaia process and the strict fake
 * Telegram: every command gets a proper answer within Telegram's limits (never "something went
 * wrong"), every press gets a short answer, and strangers change nothing.
 */
describe("the chat under odd and hostile input", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("answers very long, odd and unicode arguments, forged buttons and strangers' presses briefly and within limits", async () => {
    const tg = await FakeTelegram.start({ token: TOKEN });
    cleanups.push(() => tg.stop());
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    const port = await freePort();
    home.writeConfig(
      [
        "telegram:", `  admins: [${ADMIN}]`, `  chat: ${GROUP}`,
        "probe:", "  every: 1h", "heartbeat:", "  every: 23h",
        "host:", "  cpu: 100", "  memory: 100", "  disk: 100", "  sustain: 1",
        "api:", `  listen: 127.0.0.1:${port}`,
        "services:", "  - name: ghost", "    match: { process: no-such-process-x9 }", "    restart: echo hi",
      ].join("\n"),
    );
    home.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    const gaia = startGaia(["start"], { home: home.home });
    cleanups.push(() => gaia.stop("SIGKILL"));
    await gaia.waitForOutput('"msg":"gaia started"');
    await tg.waitForPoll();
    const down = await tg.waitForMessage(/ghost is down/, { chatId: GROUP, timeoutMs: 15_000 });

    // Arguments far longer than a message: echoed cut short, not sent whole (Telegram would refuse).
    const long = "x".repeat(4080);
    const asked: [string, RegExp][] = [
      [`/history ${long}`, /^"x{63}…" is not a service or task name/],
      [`/top ${long}`, /^Sort by cpu or memory, e\.g\. \/top memory \(not "x{63}…"\)\.$/],
      [`/mute ${long}`, /^There is no service or task named "x{63}…"/],
      [`/mute ghost ${long}`, /^"x{63}…" is not a duration/],
      [`/unmute ${long}`, /^There is no service or task named "x{63}…"/],
      [`/${"a".repeat(4090)}`, /^I don't know \/a{62}…\. Send \/help/],
      ["/history <b>&\"🦄", /^"<b>&"🦄" is not a service or task name/],
      ["/mute ghost -1h", /^"-1h" is not a duration/],
    ];
    for (const [text, expected] of asked) {
      const answer = tg.waitForMessage(() => true, { chatId: ADMIN, newOnly: true, timeoutMs: 15_000 });
      tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text });
      expect((await answer).plainText).toMatch(expected);
    }

    // A command for another bot in the alert group is left to that bot: the next answer is /help's.
    const help = tg.waitForMessage(() => true, { chatId: GROUP, newOnly: true, timeoutMs: 15_000 });
    tg.sendUserMessage({ chatId: GROUP, fromId: ADMIN, text: "/status@OtherBot" });
    tg.sendUserMessage({ chatId: GROUP, fromId: ADMIN, text: "/help" });
    expect((await help).plainText).toMatch(/^Gaia Monitor/);

    // An admin in a group that is not the alert chat is pointed elsewhere, shown nothing.
    const elsewhere = tg.waitForMessage(() => true, { chatId: OTHER_GROUP, newOnly: true, timeoutMs: 15_000 });
    tg.sendUserMessage({ chatId: OTHER_GROUP, fromId: ADMIN, text: "/status" });
    expect((await elsewhere).plainText).toBe("Gaia answers its admins in private chats and in its alert chat only.");

    // Forged callback data on the alert message: each answered briefly, nothing else sent.
    const before = tg.messages().length;
    const forged = ["inc:ack:999999", "apr:y:../../x", "apr:", "z".repeat(64), "", "st:99999", "hi:0:../x", "inc:restart:999999", "top:xyz"];
    const queries = forged.map((data, i) => {
      const id = `999${String(i).padStart(6, "0")}`;
      (tg as unknown as { callbackQueries: Map<string, unknown> }).callbackQueries.set(id, { createdAt: Date.now() });
      tg.injectUpdate({
        callback_query: {
          id,
          from: { id: ADMIN, is_bot: false, first_name: "Admin" },
          message: { message_id: down.messageId, chat: { id: GROUP, type: "supergroup", title: "Gaia admins" }, date: 1, text: down.plainText },
          chat_instance: "1",
          data,
        },
      });
      return id;
    });
    for (const id of queries) {
      const answer = await tg.waitForCallbackAnswer(id, 15_000);
      expect(String(answer.text)).toMatch(/^(This incident is no longer known\.|This button is not valid\.|This button is no longer active\.)$/);
    }

    // A stranger presses every button of the alert: refused, and nothing is muted or restarted.
    for (const button of down.buttons) {
      const id = tg.pressButton({ chatId: GROUP, messageId: down.messageId, fromId: STRANGER, data: button.callbackData! });
      expect(await tg.waitForCallbackAnswer(id, 15_000)).toMatchObject({ text: "You are not authorized to use this bot." });
    }
    expect(tg.messages(GROUP).find((m) => m.messageId === down.messageId)!.edits).toEqual([]);
    expect(tg.messages().length).toBe(before);
    const db = new Database(join(home.home, "gaia.db"), { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM events WHERE kind IN ('alerts.muted', 'service.restart', 'service.restart.requested')").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }

    for (const message of tg.messages()) {
      expect(message.plainText).not.toContain("Something went wrong");
      for (const version of [message, ...message.edits]) expect(version.plainText.length).toBeLessThanOrEqual(LIMIT);
    }
    expect(tg.rejections).toEqual([]);
    expect(tg.markdownCalls).toEqual([]);
  }, 60_000);
});
