import type { Transformer } from "grammy";

/** The Bot API methods whose text gaia writes: bot/render/ gives them Telegram HTML. */
const TEXT_METHODS = new Set(["sendMessage", "editMessageText"]);

/**
 * Makes every sendMessage and editMessageText Telegram HTML unless the call names another parse
 * mode, so that the parse mode is decided here, once, rather than at each call (CONTRACT
 * section 5: HTML with every dynamic value escaped, never Markdown). A text that is not from
 * bot/render/ must therefore be HTML-safe too, as a sentence without `<`, `>` or `&` is.
 */
export function htmlParseMode(): Transformer {
  return ((prev, method, payload, signal) =>
    prev(method, TEXT_METHODS.has(method) ? ({ parse_mode: "HTML", ...payload } as typeof payload) : payload, signal)) as Transformer;
}
