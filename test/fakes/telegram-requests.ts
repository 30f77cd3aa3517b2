/**
 * Reading and checking Bot API requests for the fake Telegram server: the three body encodings,
 * parameter types, reply markup and bot commands, refused with Telegram's own descriptions.
 */
import type http from "node:http";

/** Request parameters, from the query string and the body. */
export type Params = Record<string, unknown>;

/** Reply markup as the bot sent it (inline keyboards validated, other kinds kept as they are). */
export type ReplyMarkup = { inline_keyboard: InlineButton[][] } | Record<string, unknown>;

/** One inline keyboard button as sent. */
export interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
  [field: string]: unknown;
}

const MAX_CALLBACK_DATA_BYTES = 64;
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const BUTTON_ACTIONS = [
  "url", "callback_data", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
];

/** A refusal, answered as `{ ok: false, error_code, description }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number },
  ) {
    super(description);
  }
}

/** Telegram's reading of a Boolean parameter, which forms send as text. */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true" || value === "1" || value === 1;
}

/** An Integer parameter, or undefined when absent; numbers may come as text. */
export function intParam(params: Params, name: string): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (typeof raw === "number" && Number.isSafeInteger(raw)) return raw;
  if (typeof raw === "string" && /^-?\d+$/.test(raw.trim())) return Number(raw.trim());
  throw new ApiError(400, `Bad Request: field "${name}" must be of type Integer`);
}

/** Objects may come as JSON values or, in forms, as JSON strings; Telegram takes both. */
export function objectParam(name: string, raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ApiError(400, name === "reply_markup" ? "Bad Request: can't parse reply keyboard markup JSON object" : `Bad Request: can't parse ${name} JSON object`);
  }
}

/** Checks `reply_markup` like Telegram; `inlineOnly` for edits, which take only inline keyboards. */
export function validateReplyMarkup(raw: unknown, inlineOnly: boolean): ReplyMarkup | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  const markup = objectParam("reply_markup", raw);
  if (typeof markup !== "object" || markup === null || Array.isArray(markup)) {
    throw new ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object");
  }
  const record = markup as Params;
  if (record.inline_keyboard === undefined) {
    if (inlineOnly) throw new ApiError(400, "Bad Request: inline keyboard expected");
    if (record.keyboard === undefined && record.remove_keyboard === undefined && record.force_reply === undefined) {
      throw new ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object");
    }
    return structuredClone(record);
  }
  const rows = record.inline_keyboard;
  if (!Array.isArray(rows) || rows.some((row) => !Array.isArray(row))) {
    throw new ApiError(400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  const keyboard = (rows as unknown[][]).map((row) => row.map(validateButton));
  if (keyboard.flat().length > 100) throw new ApiError(400, "Bad Request: REPLY_MARKUP_TOO_LONG");
  return { inline_keyboard: keyboard };
}

/** Checks one inline button: text, exactly one action, callback_data of at most 64 bytes, a usable URL. */
export function validateButton(raw: unknown): InlineButton {
  const bad = (why: string): never => {
    throw new ApiError(400, `Bad Request: can't parse inline keyboard button: ${why}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad("InlineKeyboardButton must be an Object");
  const button = raw as Params;
  if (button.text === undefined) bad('Can\'t find field "text"');
  if (typeof button.text !== "string") bad('Field "text" must be of type String');
  if ((button.text as string).trim() === "") throw new ApiError(400, "Bad Request: BUTTON_TEXT_INVALID");
  // The Bot API treats an empty callback_data or url as absent.
  const actions = BUTTON_ACTIONS.filter((field) => button[field] !== undefined && button[field] !== "");
  if (actions.length === 0) bad("Text buttons are unallowed in the inline keyboard");
  if (actions.length > 1) bad(`exactly one of the optional fields must be used, got ${actions.join(" and ")} (FakeTelegram is stricter here)`);
  if (button.callback_data !== undefined && button.callback_data !== "") {
    if (typeof button.callback_data !== "string" || Buffer.byteLength(button.callback_data, "utf8") > MAX_CALLBACK_DATA_BYTES) {
      throw new ApiError(400, "Bad Request: BUTTON_DATA_INVALID");
    }
  }
  if (button.url !== undefined && button.url !== "") {
    const url = String(button.url);
    let protocol = "";
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new ApiError(400, `Bad Request: inline keyboard button URL '${url}' is invalid: Wrong HTTP URL`);
    }
    if (!["http:", "https:", "tg:"].includes(protocol)) {
      throw new ApiError(400, `Bad Request: inline keyboard button URL '${url}' is invalid: Unsupported URL protocol`);
    }
  }
  return structuredClone(button) as InlineButton;
}

/** Checks one entry of setMyCommands the way Telegram does, and returns it cleaned. */
export function validateCommand(raw: unknown): { command: string; description: string } {
  const entry = (typeof raw === "object" && raw !== null ? raw : {}) as Params;
  // Telegram trims both and drops a leading slash before checking.
  const command = String(entry.command ?? "").trim().replace(/^\//, "");
  const description = String(entry.description ?? "").trim();
  if (command === "") throw new ApiError(400, "Bad Request: command must be non-empty");
  if ([...command].length > 32) throw new ApiError(400, "Bad Request: command length must not exceed 32");
  if (!/^[a-z0-9_]+$/.test(command)) throw new ApiError(400, "Bad Request: BOT_COMMAND_INVALID");
  if (description === "") throw new ApiError(400, "Bad Request: command description must be non-empty");
  if ([...description].length > 256) throw new ApiError(400, "Bad Request: command description length must not exceed 256");
  return { command, description };
}

/** The request body, refused past 20 MiB. */
export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Query string plus a JSON, urlencoded or multipart body, the three encodings Telegram accepts. */
export async function parseParams(req: http.IncomingMessage, url: URL, body: Buffer): Promise<Params> {
  const params: Params = Object.fromEntries(url.searchParams);
  const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
  if (body.length === 0) return params;
  if (contentType.startsWith("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new ApiError(400, "Bad Request: can't parse JSON encoded request");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ApiError(400, "Bad Request: JSON encoded request must be an Object");
    }
    return { ...params, ...(parsed as Params) };
  }
  if (contentType.startsWith("application/x-www-form-urlencoded") || contentType.startsWith("multipart/form-data")) {
    // undici's Request parses both encodings, files included.
    const form = await new Request("http://fake/", { method: "POST", headers: { "content-type": contentType }, body }).formData();
    for (const [key, value] of form) {
      params[key] = typeof value === "string" ? value : { file: value.name, size: value.size };
    }
  }
  return params;
}
