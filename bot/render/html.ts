/** Escapes a value for Telegram's HTML parse mode. Every dynamic value goes through this. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Tagged template that escapes every interpolated value: html`<b>${name}</b>`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? escapeHtml(values[i]) : ""), "");
}

/** A message ready for sendMessage/editMessageText: HTML text and optional inline keyboard. */
export interface RenderedMessage {
  text: string;
  reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
}

/** Telegram's limit on a message's text, in characters after entity parsing. */
export const TELEGRAM_TEXT_LIMIT = 4096;
