import { GrammyError } from "grammy";
import type { Message } from "grammy/types";
import type { GaiaContext } from "./context.js";
import { CHAT_ANSWERS } from "./render/answers.js";
import type { RenderedMessage } from "./render/html.js";
import { plainTextOf } from "./render/paginate.js";

/**
 * Answers a button press by showing `rendered` in place of the pressed message. When it would
 * change nothing that the reader sees, the press is answered "Up to date" and no edit is sent
 * (Telegram refuses such edits). Every press gets exactly one answer.
 */
export async function showInPlace(ctx: GaiaContext, rendered: RenderedMessage): Promise<void> {
  const message = ctx.callbackQuery?.message;
  if (message && "text" in message && isShown(message, rendered)) {
    await ctx.answerCallbackQuery({ text: CHAT_ANSWERS.upToDate });
    return;
  }
  try {
    await ctx.editMessageText(rendered.text, rendered.reply_markup ? { reply_markup: rendered.reply_markup } : {});
  } catch (error) {
    if (!(error instanceof GrammyError)) throw error;
    // Only formatting could differ unseen by the check above; the reader already sees this.
    if (/message is not modified/i.test(error.description)) {
      await ctx.answerCallbackQuery({ text: CHAT_ANSWERS.upToDate });
      return;
    }
    if (/message to edit not found|message can't be edited|MESSAGE_ID_INVALID/i.test(error.description)) {
      await ctx.answerCallbackQuery({ text: CHAT_ANSWERS.cannotUpdate });
      return;
    }
    throw error;
  }
  await ctx.answerCallbackQuery();
}

/** Whether the message already shows this text and these buttons, as Telegram compares them. */
function isShown(message: Message, rendered: RenderedMessage): boolean {
  const shownText = ("text" in message ? (message.text ?? "") : "").trim();
  if (shownText !== plainTextOf(rendered.text).trim()) return false;
  const keyboard = (rows: readonly (readonly { text: string; callback_data?: string }[])[] | undefined) =>
    JSON.stringify((rows ?? []).map((row) => row.map((b) => [b.text, b.callback_data ?? null])));
  const shownRows = message.reply_markup?.inline_keyboard as { text: string; callback_data?: string }[][] | undefined;
  return keyboard(shownRows) === keyboard(rendered.reply_markup?.inline_keyboard);
}
