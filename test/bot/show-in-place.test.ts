import { Bot, Composer } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { describe, expect, it } from "vitest";
import { showInPlace } from "../../bot/show-in-place.js";
import type { GaiaContext } from "../../bot/context.js";
import type { RenderedMessage } from "../../bot/render/html.js";

const BOT_INFO = { id: 1, is_bot: true, first_name: "Gaia", username: "gaia_bot" } as UserFromGetMe;
const RENDERED: RenderedMessage = {
  text: "<b>Gaia</b> &lt;host&gt;\n<pre>CPU 5%</pre>",
  reply_markup: { inline_keyboard: [[{ text: "🔄 Refresh", callback_data: "st:0" }]] },
};

/** A bot whose Bot API answers editMessageText with `editAnswer`, recording every call. */
async function pressWith(shown: { text: string; keyboard?: RenderedMessage["reply_markup"] }, editAnswer: { ok: boolean; description?: string }) {
  const calls: { method: string; payload: Record<string, unknown> }[] = [];
  const bot = new Bot<GaiaContext>("1:test", { botInfo: BOT_INFO });
  bot.api.config.use(async (_prev, method, payload) => {
    calls.push({ method, payload: payload as Record<string, unknown> });
    if (method === "editMessageText" && !editAnswer.ok) return { ok: false, error_code: 400, description: editAnswer.description! } as never;
    return { ok: true, result: true as never };
  });
  const composer = new Composer<GaiaContext>();
  composer.callbackQuery("st:0", (ctx) => showInPlace(ctx, RENDERED));
  bot.use(composer);
  await bot.handleUpdate({
    update_id: 1,
    callback_query: {
      id: "q1",
      from: { id: 42, is_bot: false, first_name: "Admin" },
      chat_instance: "c",
      data: "st:0",
      message: { message_id: 7, date: 1, chat: { id: 42, type: "private", first_name: "Admin" }, text: shown.text, ...(shown.keyboard ? { reply_markup: shown.keyboard } : {}) },
    },
  } as Update);
  return calls.map((c) => [c.method, c.payload.text ?? null]);
}

describe("showing a view again in place of the pressed message", () => {
  it("answers 'Up to date' without an edit when the reader already sees this text and these buttons", async () => {
    expect(await pressWith({ text: "Gaia <host>\nCPU 5%", keyboard: RENDERED.reply_markup }, { ok: true })).toEqual([["answerCallbackQuery", "Up to date"]]);
  });

  it("edits when the text or the buttons differ, then answers the press", async () => {
    expect(await pressWith({ text: "Gaia <host>\nCPU 7%", keyboard: RENDERED.reply_markup }, { ok: true })).toEqual([
      ["editMessageText", RENDERED.text],
      ["answerCallbackQuery", null],
    ]);
    expect((await pressWith({ text: "Gaia <host>\nCPU 5%" }, { ok: true }))[0][0]).toBe("editMessageText");
  });

  it("answers instead of failing when Telegram says nothing changed or the message is gone", async () => {
    expect(await pressWith({ text: "other" }, { ok: false, description: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same" })).toEqual([
      ["editMessageText", RENDERED.text],
      ["answerCallbackQuery", "Up to date"],
    ]);
    expect(await pressWith({ text: "other" }, { ok: false, description: "Bad Request: message to edit not found" })).toEqual([
      ["editMessageText", RENDERED.text],
      ["answerCallbackQuery", "This message can no longer be updated; send the command again."],
    ]);
  });
});
