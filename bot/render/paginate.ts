import { escapeHtml, TELEGRAM_TEXT_LIMIT } from "./html.js";

/** One page of a list, with where it sits in the whole. */
export interface Page<T> {
  items: T[];
  /** 0-based, clamped to the pages that exist. */
  page: number;
  /** At least 1, also for an empty list. */
  pages: number;
  total: number;
}

/** Page `page` (0-based; out-of-range numbers are clamped) of `items`, `perPage` at a time. */
export function pageOf<T>(items: readonly T[], page: number, perPage: number): Page<T> {
  const size = Math.max(1, Math.floor(perPage));
  const pages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(pages - 1, Math.max(0, Number.isFinite(page) ? Math.floor(page) : 0));
  return { items: items.slice(current * size, (current + 1) * size), page: current, pages, total: items.length };
}

/**
 * Shortens plain text to at most `max` characters, ending with `…` when cut. Cuts between code
 * points, never inside an emoji's surrogate pair. Escape the result, not the input.
 */
export function truncatePlain(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = "";
  for (const char of text) {
    if (out.length + char.length > max - 1) break;
    out += char;
  }
  return `${out}…`;
}

/**
 * Joins HTML blocks (each one balanced: a line, or a whole `<pre>` table) with newlines into a
 * text of at most `limit` characters. When they do not fit, blocks are dropped from the end and
 * `note(omitted)` (HTML) is appended, so the reader knows the message was cut.
 * The raw HTML length is measured: never less than what Telegram counts after parsing.
 */
export function fitBlocks(
  blocks: readonly string[],
  options: { limit?: number; note: (omitted: number) => string },
): string {
  const limit = options.limit ?? TELEGRAM_TEXT_LIMIT;
  const whole = blocks.join("\n");
  if (whole.length <= limit) return whole;
  // The most leading blocks that fit together with the note about the rest.
  let kept = 0;
  let length = 0;
  for (let k = 1; k < blocks.length; k++) {
    length += (k > 1 ? 1 : 0) + blocks[k - 1].length;
    if (length + 1 + options.note(blocks.length - k).length > limit) break;
    kept = k;
  }
  if (kept > 0) return `${blocks.slice(0, kept).join("\n")}\n${options.note(blocks.length - kept)}`;
  // Even the first block is too long: keep its text, without its formatting, cut to fit.
  const tail = blocks.length > 1 ? `\n${options.note(blocks.length - 1)}` : "";
  const room = Math.max(1, limit - tail.length);
  let escaped = "";
  for (const char of plainTextOf(blocks[0])) {
    const next = escapeHtml(char);
    if (escaped.length + next.length > room - 1) break;
    escaped += next;
  }
  return `${escaped}…${tail}`;
}

/** The text a reader sees of Telegram HTML: tags dropped, entities decoded. */
export function plainTextOf(htmlText: string): string {
  return htmlText
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&amp;/g, "&");
}
