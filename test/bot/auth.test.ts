import { Bot } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { describe, expect, it } from "vitest";
import { adminsOnly, STRANGER_REPLIES_PER_HOUR } from "../../bot/auth.js";
import { CHAT_ANSWERS } from "../../bot/render/answers.js";
import type { GaiaContext } from "../../bot/context.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { tempDatabase } from "../helpers/temp-database.js";

const { notAuthorized: NOT_AUTHORIZED, wrongChat: WRONG_CHAT } = CHAT_ANSWERS;

const ADMIN = 42;
const STRANGER = 666;
const GROUP = -1001234567890;
const OTHER_GROUP = -100999;
const BOT_INFO = { id: 1, is_bot: true, first_name: "Gaia", username: "gaia_bot" } as UserFromGetMe;

describe("only admins use the bot", () => {
  const defer = deferCleanups();

  async function botWithAuth() {
    const { dataSource, close } = await tempDatabase();
    defer(close);
    const audit = new AuditTrail(dataSource);
    let clock = 1_000_000;
    const calls: { method: string; payload: Record<string, unknown> }[] = [];
    const bot = new Bot<GaiaContext>("1:test", { botInfo: BOT_INFO });
    bot.api.config.use(async (_prev, method, payload) => {
      calls.push({ method, payload: payload as Record<string, unknown> });
      return { ok: true, result: (method === "sendMessage" ? { message_id: 1, date: 0, chat: { id: 1, type: "private" } } : true) as never };
    });
    bot.use(adminsOnly({ admins: [ADMIN], audit, alertChat: GROUP, now: () => clock }));
    bot.command("status", (ctx) => ctx.reply("SECRET HOST DATA"));
    bot.callbackQuery(/.*/, (ctx) => ctx.answerCallbackQuery({ text: "SECRET HOST DATA" }));
    bot.on("message", (ctx) => ctx.reply("SECRET HOST DATA"));
    let updateId = 1;
    const send = (fromId: number, chatId: number, text: string) =>
      bot.handleUpdate({
        update_id: updateId++,
        message: {
          message_id: updateId,
          date: 0,
          chat: chatId > 0 ? { id: chatId, type: "private", first_name: "x" } : { id: chatId, type: "supergroup", title: "g" },
          from: { id: fromId, is_bot: false, first_name: "x", username: `u${fromId}` },
          text,
          ...(text.startsWith("/") ? { entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0].length }] } : {}),
        },
      } as Update);
    const press = (fromId: number, chatId: number, data: string) =>
      bot.handleUpdate({
        update_id: updateId++,
        callback_query: {
          id: String(updateId),
          from: { id: fromId, is_bot: false, first_name: "x" },
          chat_instance: "c",
          data,
          message: { message_id: 1, date: 1, chat: chatId > 0 ? { id: chatId, type: "private", first_name: "x" } : { id: chatId, type: "supergroup", title: "g" }, text: "old" },
        },
      } as Update);
    const denials = async () => (await audit.recent({ limit: 1000 })).filter((e) => e.kind === "auth.denied");
    const texts = () => calls.map((c) => String(c.payload.text ?? ""));
    const capped = async () => (await audit.recent({ limit: 1000 })).filter((e) => e.kind === "auth.replies-capped");
    return { send, press, calls, texts, denials, capped, advance: (ms: number) => (clock += ms) };
  }

  it("answers admins in their private chat and in the alert group", async () => {
    const t = await botWithAuth();
    await t.send(ADMIN, ADMIN, "/status");
    await t.send(ADMIN, GROUP, "/status");
    await t.press(ADMIN, GROUP, "st:0");
    expect(t.texts()).toEqual(["SECRET HOST DATA", "SECRET HOST DATA", "SECRET HOST DATA"]);
    expect(await t.denials()).toEqual([]);
  });

  it("tells a stranger once an hour that they are not authorized, shows no data, and audits every attempt", async () => {
    const t = await botWithAuth();
    await t.send(STRANGER, STRANGER, "/status");
    await t.send(STRANGER, STRANGER, "/top");
    await t.send(STRANGER, STRANGER, "hello");
    expect(t.texts()).toEqual([NOT_AUTHORIZED]);
    t.advance(60 * 60 * 1000);
    await t.send(STRANGER, STRANGER, "/status");
    expect(t.texts()).toEqual([NOT_AUTHORIZED, NOT_AUTHORIZED]);
    const denials = await t.denials();
    expect(denials).toHaveLength(4);
    expect(denials[0]).toMatchObject({ actor: `telegram:${STRANGER}`, details: { chatId: STRANGER, username: `u${STRANGER}`, command: "/status" } });
    // What a stranger writes is not kept: it could be anything.
    expect(JSON.stringify(denials)).not.toContain("hello");
  });

  it("answers a stranger's button press with a refusal, judged by who pressed and not by the data", async () => {
    const t = await botWithAuth();
    await t.press(STRANGER, GROUP, `st:0`);
    await t.press(STRANGER, STRANGER, `admin:${ADMIN}`);
    expect(t.calls.map((c) => [c.method, c.payload.text])).toEqual([
      ["answerCallbackQuery", NOT_AUTHORIZED],
      ["answerCallbackQuery", NOT_AUTHORIZED],
    ]);
    expect((await t.denials()).map((d) => d.message)).toEqual([
      "Refused a button press from a user who is not an admin",
      "Refused a button press from a user who is not an admin",
    ]);
  });

  it("in a group, answers a stranger's command but not their chatter", async () => {
    const t = await botWithAuth();
    await t.send(STRANGER, GROUP, "good morning everyone");
    expect(t.calls).toEqual([]);
    expect(await t.denials()).toEqual([]);
    await t.send(STRANGER, GROUP, "/status@gaia_bot");
    expect(t.texts()).toEqual([NOT_AUTHORIZED]);
    expect((await t.denials())[0].details).toMatchObject({ command: "/status", chatType: "supergroup" });
  });

  it("does not show an admin's data in a group that is not the alert chat, where strangers would read it", async () => {
    const t = await botWithAuth();
    await t.send(ADMIN, OTHER_GROUP, "/status");
    await t.press(ADMIN, OTHER_GROUP, "st:0");
    expect(t.calls.map((c) => c.payload.text)).toEqual([WRONG_CHAT, WRONG_CHAT]);
    expect(await t.denials()).toHaveLength(2);
  });

  it("replies to at most 20 strangers an hour across all ids, audits reaching the cap once, and still audits each attempt", async () => {
    const t = await botWithAuth();
    for (let id = 1000; id < 1030; id++) await t.send(id, id, "/status");
    expect(t.texts()).toEqual(Array(STRANGER_REPLIES_PER_HOUR).fill(NOT_AUTHORIZED));
    expect(await t.denials()).toHaveLength(30);
    const capped = await t.capped();
    expect(capped).toHaveLength(1);
    expect(capped[0]).toMatchObject({ actor: "telegram:1020", details: { limit: STRANGER_REPLIES_PER_HOUR } });
    // Button presses are still answered: Telegram wants every callback query answered.
    await t.press(1031, 1031, "st:0");
    expect(t.calls.at(-1)).toMatchObject({ method: "answerCallbackQuery", payload: { text: NOT_AUTHORIZED } });

    // An hour later, a stranger who was not told is told, and the cap is audited afresh when hit again.
    t.advance(60 * 60 * 1000);
    await t.send(1025, 1025, "/status");
    expect(t.calls.at(-1)).toMatchObject({ method: "sendMessage", payload: { chat_id: 1025, text: NOT_AUTHORIZED } });
    for (let id = 2000; id < 2030; id++) await t.send(id, id, "hello");
    expect(t.calls.filter((c) => c.method === "sendMessage")).toHaveLength(2 * STRANGER_REPLIES_PER_HOUR);
    expect(await t.capped()).toHaveLength(2);
  });

  it("audits at most 30 attempts an hour per stranger, and counts the rest into the next row", async () => {
    const t = await botWithAuth();
    for (let i = 0; i < 40; i++) await t.press(STRANGER, STRANGER, "st:0");
    expect(await t.denials()).toHaveLength(30);
    expect(t.calls.filter((c) => c.method === "answerCallbackQuery")).toHaveLength(40); // every press answered
    t.advance(60 * 60 * 1000);
    await t.press(STRANGER, STRANGER, "st:0");
    const denials = await t.denials();
    expect(denials).toHaveLength(31);
    expect(denials[0].details).toMatchObject({ unauditedAttemptsBefore: 10 });
  });
});
