/**
 * A fake Telegram Bot API server for end-to-end tests.
 *
 * The real gaia process talks to it through `TELEGRAM_API_ROOT`; the test drives the users'
 * side (messages, button presses) and inspects what the bot sent. It is strict like Telegram:
 * malformed HTML, over-long texts, bad buttons, edits that change nothing and double answers
 * are refused with Telegram's own descriptions, so a test that passes here passes there.
 *
 * Stricter than Telegram on purpose (each one a bug Telegram would let through silently):
 * a bare `&` or an unknown `&name;` in HTML, and an inline button with two actions.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Message } from "grammy/types";
import { HtmlParseError, parseTelegramHtml, type TelegramEntity } from "./telegram-html.js";
import {
  ApiError,
  intParam,
  isTrue,
  objectParam,
  parseParams,
  readBody,
  validateCommand,
  validateReplyMarkup,
  type InlineButton,
  type Params,
  type ReplyMarkup,
} from "./telegram-requests.js";

export type { TelegramEntity } from "./telegram-html.js";
export type { ReplyMarkup } from "./telegram-requests.js";

/** Options of {@link FakeTelegram.start}. */
export interface FakeTelegramOptions {
  /** The one token the fake accepts, `<bot id>:<secret>`; any other answers 401. */
  token: string;
  botUsername?: string;
  botFirstName?: string;
  /** How long a callback query can be answered, like Telegram's (default 15 s). */
  callbackQueryTtlMs?: number;
  /** When true, sending to a chat no user has written in answers "chat not found". */
  knownChatsOnly?: boolean;
}

/** One request the bot made, as the fake answered it. */
export interface CallRecord {
  method: string;
  params: Record<string, unknown>;
  status: number;
  ok: boolean;
  description?: string;
  result?: unknown;
  /** Answered by failure injection (outage, failNext, rateLimitNext), not by validation. */
  injected: boolean;
  at: number;
}

/** One inline keyboard button, flattened for assertions. */
export interface SentButton {
  text: string;
  callbackData?: string;
  url?: string;
}

/** One state of a message: as sent, or after an edit. */
export interface MessageVersion {
  text: string;
  plainText: string;
  parseMode?: string;
  entities: TelegramEntity[];
  replyMarkup?: ReplyMarkup;
  date: number;
}

/** A message the bot sent, in its current state (a copy: later changes do not show). */
export interface SentMessage extends MessageVersion {
  messageId: number;
  chatId: number;
  buttons: SentButton[];
  /** The versions after the original, oldest first. */
  edits: MessageVersion[];
  editDate?: number;
  deleted: boolean;
}

/** A message a user sent (through the test), with whether the bot deleted it. */
export interface UserMessage {
  messageId: number;
  chatId: number;
  fromId: number;
  text: string;
  date: number;
  deleted: boolean;
}

/** What {@link FakeTelegram.waitForMessage} looks for: a substring or pattern of the plain text, or a test. */
export type MessagePredicate = string | RegExp | ((message: SentMessage) => boolean);

type Update = { update_id: number } & Record<string, unknown>;
type TelegramUser = { id: number; is_bot: boolean; first_name: string; username?: string };
type TelegramChat = { id: number; type: string; title?: string; first_name?: string; username?: string };

interface StoredMessage {
  seq: number; // order of arrival across chats
  messageId: number;
  chatId: number;
  from: TelegramUser;
  fromBot: boolean;
  date: number;
  current: MessageVersion;
  versions: MessageVersion[];
  editDate?: number;
  deleted: boolean;
}

interface CallbackQueryState {
  createdAt: number;
  answer?: Params;
}

interface PendingPoll {
  limit: number;
  res: http.ServerResponse;
  timer: NodeJS.Timeout;
  resolve: (updates: Update[]) => void;
  reject: (error: ApiError | InjectedFailure) => void;
}

interface Injection {
  method: string; // lower case, or "*"
  remaining: number;
  status: number;
  description: string;
  retryAfter?: number;
  html?: boolean;
  destroySocket?: boolean;
  /** Accept the request and never answer it (a connection lost on the way). */
  hang?: boolean;
  /** With `hang`: carry the request out (the message is in the chat), only the answer is lost. */
  carryOut?: boolean;
  /** Only calls whose `text` parameter matches (a send or edit of one message among others). */
  textMatching?: RegExp;
}

/** A failure the test asked for: answered as it says, and not counted among the rejections. */
class InjectedFailure {
  constructor(readonly injection: Omit<Injection, "method" | "remaining">) {}
}


const MESSAGE_NOT_MODIFIED =
  "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid";
const MAX_TEXT_LENGTH = 4096;
const UPDATE_TYPES = [
  "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
  "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
  "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
  "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member",
  "chat_join_request", "chat_boost", "removed_chat_boost",
];
// Telegram leaves these out unless asked for by name.
const OPT_IN_UPDATE_TYPES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);
const CHAT_ACTIONS = new Set([
  "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
  "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
]);
const COMMAND_SCOPES = new Set([
  "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
  "chat_administrators", "chat_member",
]);
const NGINX_502 =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
  429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The fake Bot API server; see the file comment. Start one per test with {@link FakeTelegram.start}. */
export class FakeTelegram {
  /** Every request the bot made, in order. */
  readonly calls: CallRecord[] = [];
  /** Every send or edit that used `parse_mode` Markdown or MarkdownV2 (gaia must never do it). */
  readonly markdownCalls: CallRecord[] = [];

  readonly token: string;
  readonly botUser: TelegramUser;
  private server?: http.Server;
  private port = 0;
  private readonly options: Required<Omit<FakeTelegramOptions, "token" | "botUsername" | "botFirstName">>;
  private readonly chats = new Map<number, TelegramChat>();
  private readonly users = new Map<number, TelegramUser>();
  private readonly chatMessages = new Map<number, { nextId: number; messages: Map<number, StoredMessage> }>();
  private readonly messageEvents: SentMessage[] = []; // a snapshot per send and per edit, in order
  private readonly callbackQueries = new Map<string, CallbackQueryState>();
  private readonly commandsByScope = new Map<string, { command: string; description: string }[]>();
  private readonly injections: Injection[] = [];
  private readonly listeners = new Set<() => void>();
  private queue: Update[] = [];
  private nextUpdateId = 100_000_001;
  private nextCallbackQuery = 1;
  private nextSeq = 1;
  private allowedUpdates: string[] = [];
  private poll?: PendingPoll;
  private outage?: { destroySocket: boolean };
  /** While set (epoch ms), requests are accepted and never answered (see {@link hang}). */
  private hangUntil = 0;
  /** Requests swallowed by a hang: held open, never answered, closed by {@link stop}. */
  private readonly swallowed = new Set<http.ServerResponse>();

  private constructor(options: FakeTelegramOptions) {
    const match = /^(\d+):\S+$/.exec(options.token);
    if (!match) throw new Error(`FakeTelegram: a bot token looks like "123456:secret", got "${options.token}"`);
    this.token = options.token;
    this.botUser = {
      id: Number(match[1]),
      is_bot: true,
      first_name: options.botFirstName ?? "Gaia Test",
      username: options.botUsername ?? "gaia_test_bot",
    };
    this.options = {
      callbackQueryTtlMs: options.callbackQueryTtlMs ?? 15_000,
      knownChatsOnly: options.knownChatsOnly ?? false,
    };
  }

  /** Starts a fake on 127.0.0.1 with a random port; give `apiRoot` to the bot. */
  static async start(options: FakeTelegramOptions): Promise<FakeTelegram> {
    const fake = new FakeTelegram(options);
    const server = http.createServer((req, res) => {
      fake.handle(req, res).catch((error: unknown) => {
        // A bug in the fake itself: make it loud in the test instead of hanging the bot.
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`FakeTelegram crashed: ${error instanceof Error ? error.stack : String(error)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    fake.server = server;
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  /** The Bot API root to configure, e.g. `http://127.0.0.1:40123` (grammY's `client.apiRoot`). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls answered `ok: false` by Telegram's rules (injected failures excluded): e2e tests expect none. */
  get rejections(): CallRecord[] {
    return this.calls.filter((call) => !call.ok && !call.injected);
  }

  /** Stops the server, drops open connections and fails every pending wait. */
  async stop(): Promise<void> {
    if (this.poll) clearTimeout(this.poll.timer);
    this.poll = undefined;
    for (const res of this.swallowed) res.destroy();
    this.swallowed.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    this.notify();
  }

  // ---- the users' side -------------------------------------------------------------------

  /** Injects a text message from a user; a leading `/command` gets its bot_command entity. */
  sendUserMessage(input: {
    chatId: number;
    fromId: number;
    text: string;
    firstName?: string;
    username?: string;
    chatType?: "private" | "group" | "supergroup";
    chatTitle?: string;
    replyToMessageId?: number;
  }): { update_id: number; message: Message.TextMessage } {
    const from = this.rememberUser(input.fromId, input.firstName, input.username);
    // Telegram's ids tell the kind of chat: users are positive, supergroups below -10^12.
    const chatType = input.chatType ?? (input.chatId > 0 ? "private" : input.chatId < -1e12 ? "supergroup" : "group");
    const chat: TelegramChat =
      chatType === "private"
        ? { id: input.chatId, type: "private", first_name: from.first_name, ...(from.username ? { username: from.username } : {}) }
        : { id: input.chatId, type: chatType, title: input.chatTitle ?? this.chats.get(input.chatId)?.title ?? "Gaia admins" };
    this.chats.set(input.chatId, chat);
    const box = this.chatBox(input.chatId);
    const stored: StoredMessage = {
      seq: this.nextSeq++,
      messageId: box.nextId++,
      chatId: input.chatId,
      from,
      fromBot: false,
      date: unixNow(),
      current: { text: input.text, plainText: input.text, entities: commandEntities(input.text), date: unixNow() },
      versions: [],
      deleted: false,
    };
    stored.versions.push(stored.current);
    box.messages.set(stored.messageId, stored);
    const message = this.toApiMessage(stored);
    if (input.replyToMessageId !== undefined) {
      const replied = box.messages.get(input.replyToMessageId);
      if (!replied) throw new Error(`FakeTelegram: no message ${input.replyToMessageId} in chat ${input.chatId} to reply to`);
      message.reply_to_message = this.toApiMessage(replied);
    }
    return this.injectUpdate({ message }) as unknown as { update_id: number; message: Message.TextMessage };
  }

  /**
   * Injects a press on an inline button of a message the bot sent; returns the callback query id.
   * The button must be on the message now, or, with `stale`, have been on it at some point (a
   * second admin whose client still shows the old keyboard).
   */
  pressButton(input: { chatId: number; messageId: number; fromId: number; data: string; firstName?: string; stale?: boolean }): string {
    const stored = this.chatMessages.get(input.chatId)?.messages.get(input.messageId);
    if (!stored || !stored.fromBot) {
      throw new Error(`FakeTelegram: the bot sent no message ${input.messageId} in chat ${input.chatId}`);
    }
    if (stored.deleted) throw new Error(`FakeTelegram: message ${input.messageId} in chat ${input.chatId} was deleted`);
    const versions = input.stale ? stored.versions : [stored.current];
    const offered = versions.flatMap((version) => buttonsOf(version.replyMarkup));
    if (!offered.some((button) => button.callbackData === input.data)) {
      const now = buttonsOf(stored.current.replyMarkup).map((b) => `${b.text} → ${b.callbackData ?? b.url}`);
      throw new Error(
        `FakeTelegram: message ${input.messageId} has no button with callback_data "${input.data}"; it shows: ${now.join(", ") || "no buttons"}`,
      );
    }
    const id = `${this.botUser.id}${String(this.nextCallbackQuery++).padStart(6, "0")}`;
    this.callbackQueries.set(id, { createdAt: Date.now() });
    this.injectUpdate({
      callback_query: {
        id,
        from: this.rememberUser(input.fromId, input.firstName),
        message: this.toApiMessage(stored),
        chat_instance: String(Math.abs(input.chatId) * 7 + 13),
        data: input.data,
      },
    });
    return id;
  }

  /** Queues any update (the `update_id` is assigned here) and wakes a waiting getUpdates. */
  injectUpdate(update: Record<string, unknown>): Update {
    const full: Update = { update_id: this.nextUpdateId++, ...update };
    this.queue.push(full);
    this.servePoll();
    return full;
  }

  /** The parameters of the answerCallbackQuery for this query, or undefined while unanswered. */
  callbackAnswer(id: string): Params | undefined {
    return this.callbackQueries.get(id)?.answer;
  }

  /** Resolves with the answerCallbackQuery parameters for this query once the bot answers it. */
  waitForCallbackAnswer(id: string, timeoutMs = 5000): Promise<Params> {
    return this.waitUntil(() => this.callbackAnswer(id), timeoutMs, () => `an answer to callback query ${id}`);
  }

  // ---- what the bot did ------------------------------------------------------------------

  /** Every message the bot sent (in a chat, or in all), in their current state. */
  messages(chatId?: number): SentMessage[] {
    return this.storedMessages(chatId)
      .filter((stored) => stored.fromBot)
      .map((stored) => this.snapshot(stored));
  }

  /** Every message users sent through the test, with whether the bot deleted it. */
  userMessages(chatId?: number): UserMessage[] {
    return this.storedMessages(chatId)
      .filter((stored) => !stored.fromBot)
      .map((stored) => ({
        messageId: stored.messageId,
        chatId: stored.chatId,
        fromId: stored.from.id,
        text: stored.current.text,
        date: stored.date,
        deleted: stored.deleted,
      }));
  }

  /**
   * Resolves with the first message the bot sent or edited into a state matching `predicate`
   * (a string or pattern is matched against the plain text), as it was at that moment.
   * With `newOnly`, sends and edits before the call do not count.
   * Rejects after `timeoutMs` with everything the bot sent and every rejection.
   */
  waitForMessage(
    predicate: MessagePredicate,
    options: { timeoutMs?: number; chatId?: number; newOnly?: boolean } = {},
  ): Promise<SentMessage> {
    const test = toTest(predicate);
    let cursor = options.newOnly ? this.messageEvents.length : 0;
    return this.waitUntil(
      () => {
        for (; cursor < this.messageEvents.length; cursor++) {
          const event = this.messageEvents[cursor];
          if ((options.chatId === undefined || event.chatId === options.chatId) && test(event)) return event;
        }
        return undefined;
      },
      options.timeoutMs ?? 5000,
      () => `a message matching ${String(predicate)}${options.chatId === undefined ? "" : ` in chat ${options.chatId}`}`,
    );
  }

  /** Resolves once a getUpdates long poll is waiting (to inject an update into a live poll). */
  waitForPoll(timeoutMs = 5000): Promise<true> {
    return this.waitUntil(() => (this.poll && !this.poll.res.destroyed ? true : undefined), timeoutMs, () => "a waiting getUpdates");
  }

  /** Resolves with the first call of `method` (made before or after this call) that `match` accepts. */
  waitForCall(method: string, match: (call: CallRecord) => boolean = () => true, timeoutMs = 5000): Promise<CallRecord> {
    return this.waitUntil(
      () => this.calls.find((call) => call.method === method && match(call)),
      timeoutMs,
      () => `a call to ${method}`,
    );
  }

  /** The commands setMyCommands stored for a scope (default: the default scope) and language. */
  commands(scope: Record<string, unknown> = { type: "default" }, languageCode = ""): { command: string; description: string }[] {
    return structuredClone(this.commandsByScope.get(scopeKey(scope, languageCode)) ?? []);
  }

  // ---- failure injection -----------------------------------------------------------------

  /**
   * The next `n` calls of `method` ("*" for any) fail with `status` (default 502) and a JSON
   * error, or an nginx HTML page with `html`, or a dropped connection with `destroySocket`, or no
   * answer ever with `hang` (the request is not carried out, unless `carryOut`: then only its
   * answer is lost, as when a connection drops while Telegram's answer is on its way).
   */
  failNext(
    method: string,
    n = 1,
    options: { status?: number; description?: string; html?: boolean; destroySocket?: boolean; hang?: boolean; carryOut?: boolean; textMatching?: RegExp } = {},
  ): void {
    const status = options.status ?? 502;
    this.injections.push({
      method: method.toLowerCase(),
      remaining: n,
      status,
      description: options.description ?? STATUS_TEXT[status] ?? "Error",
      html: options.html,
      destroySocket: options.destroySocket,
      hang: options.hang,
      carryOut: options.carryOut,
      textMatching: options.textMatching,
    });
  }

  /** The next `n` calls of `method` answer 429 "Too Many Requests: retry after N" with parameters.retry_after. */
  rateLimitNext(method: string, retryAfterSeconds: number, n = 1): void {
    this.injections.push({
      method: method.toLowerCase(),
      remaining: n,
      status: 429,
      description: `Too Many Requests: retry after ${retryAfterSeconds}`,
      retryAfter: retryAfterSeconds,
    });
  }

  /** While on, every request answers nginx's 502 Bad Gateway page, or has its connection dropped. */
  setOutage(on: boolean, options: { destroySocket?: boolean } = {}): void {
    this.outage = on ? { destroySocket: options.destroySocket ?? false } : undefined;
    if (on && this.poll) {
      // The poll that is waiting now breaks with the outage, as a real one would.
      const poll = this.poll;
      this.poll = undefined;
      clearTimeout(poll.timer);
      poll.reject(this.outageFailure());
    }
  }

  /**
   * For `ms` milliseconds, every request is accepted and never answered, like a connection lost
   * in a NAT or a Wi-Fi drop: the client hears nothing until its own deadline. The long poll
   * waiting when the hang starts is swallowed too. Requests made during the hang stay unanswered
   * after it ends (their connections are dead); new ones are answered as usual.
   */
  hang(ms: number): void {
    this.hangUntil = Date.now() + ms;
    const poll = this.poll;
    if (poll) {
      this.poll = undefined;
      clearTimeout(poll.timer);
      this.swallowed.add(poll.res);
      this.record("getUpdates", {}, 0, false, "no answer (hang)", undefined, true);
    }
  }

  /** Whether a {@link hang} is in force now. */
  get hanging(): boolean {
    return Date.now() < this.hangUntil;
  }

  private outageFailure(): InjectedFailure {
    return new InjectedFailure({ status: 502, description: "Bad Gateway (outage)", html: true, destroySocket: this.outage?.destroySocket });
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const route = /^\/bot([^/]*)\/([^/]*)$/.exec(url.pathname);
    const method = route ? decodeURIComponent(route[2]) : url.pathname;
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return this.reply(res, method, {}, new ApiError(413, "Request Entity Too Large"));
    }

    if (this.outage) return this.reply(res, method, {}, this.outageFailure());
    if (this.hanging) {
      // Accepted, never answered: the caller's own deadline is all that ends it.
      this.swallowed.add(res);
      res.on("close", () => this.swallowed.delete(res));
      this.record(method, {}, 0, false, "no answer (hang)", undefined, true);
      return;
    }
    if (!route) return this.reply(res, method, {}, new ApiError(404, "Not Found"));
    if (decodeURIComponent(route[1]) !== this.token) return this.reply(res, method, {}, new ApiError(401, "Unauthorized"));

    const name = method.toLowerCase(); // Telegram's method names are case-insensitive.
    const handler = this.methods[name];
    let params: Params = {};
    try {
      params = await parseParams(req, url, body);
    } catch (error) {
      return this.reply(res, method, {}, error);
    }
    if (!handler) return this.reply(res, method, params, new ApiError(404, "Not Found"));
    const canonical = handler.name;

    const injection = this.injections.find(
      (i) => i.remaining > 0 && (i.method === "*" || i.method === name) && (!i.textMatching || i.textMatching.test(String(params.text ?? ""))),
    );
    if (injection) {
      injection.remaining--;
      if (injection.hang) {
        this.swallowed.add(res);
        res.on("close", () => this.swallowed.delete(res));
        let result: unknown;
        if (injection.carryOut) result = await handler.call(this, params, res);
        this.record(canonical, params, 0, false, injection.carryOut ? "carried out, no answer (hang)" : "no answer (hang)", result, true);
        return;
      }
      return this.reply(res, canonical, params, new InjectedFailure(injection));
    }

    try {
      const result = await handler.call(this, params, res);
      this.reply(res, canonical, params, undefined, result);
    } catch (error) {
      this.reply(res, canonical, params, error);
    }
  }

  private reply(res: http.ServerResponse, method: string, params: Params, error: unknown, result?: unknown): void {
    const gone = res.writableEnded || res.destroyed;
    if (error instanceof InjectedFailure) {
      const { status, description, html, destroySocket, retryAfter } = error.injection;
      this.record(method, params, status, false, description, undefined, true);
      if (gone) return;
      if (destroySocket) return void res.socket?.destroy();
      if (html) {
        res.writeHead(status, { "content-type": "text/html" });
        return void res.end(NGINX_502.replaceAll("502 Bad Gateway", `${status} ${STATUS_TEXT[status] ?? ""}`));
      }
      return writeJson(res, status, {
        ok: false,
        error_code: status,
        description,
        ...(retryAfter !== undefined ? { parameters: { retry_after: retryAfter } } : {}),
      });
    }
    if (error !== undefined && !(error instanceof ApiError)) throw error;
    if (error) {
      // A long poll whose client went away (grammY's bot.stop) was not refused by anyone.
      if (gone) return;
      this.record(method, params, error.status, false, error.description);
      return writeJson(res, error.status, {
        ok: false,
        error_code: error.status,
        description: error.description,
        ...(error.parameters ? { parameters: error.parameters } : {}),
      });
    }
    this.record(method, params, 200, true, undefined, result);
    if (!gone) writeJson(res, 200, { ok: true, result });
  }

  private record(
    method: string,
    params: Params,
    status: number,
    ok: boolean,
    description?: string,
    result?: unknown,
    injected = false,
  ): void {
    const call: CallRecord = { method, params, status, ok, injected, at: Date.now() };
    if (description !== undefined) call.description = description;
    if (result !== undefined) call.result = result;
    this.calls.push(call);
    const parseMode = typeof params.parse_mode === "string" ? params.parse_mode.toLowerCase() : "";
    if (parseMode === "markdown" || parseMode === "markdownv2") this.markdownCalls.push(call);
    this.notify();
  }

  // ---- Bot API methods (keys are lower case; the function name is the canonical spelling) -----

  private readonly methods: Record<string, (this: FakeTelegram, params: Params, res: http.ServerResponse) => unknown> = {
    getme: function getMe() {
      return { ...this.botUser, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false };
    },
    logout: function logOut() {
      return true;
    },
    close: function close() {
      return true;
    },
    deletewebhook: function deleteWebhook(params) {
      if (isTrue(params.drop_pending_updates)) this.queue = [];
      return true;
    },
    getwebhookinfo: function getWebhookInfo() {
      return { url: "", has_custom_certificate: false, pending_update_count: this.queue.length };
    },
    getupdates: function getUpdates(params, res) {
      return this.getUpdates(params, res);
    },
    sendmessage: function sendMessage(params) {
      const chatId = this.chatIdParam(params);
      const version = this.messageVersion(params);
      const box = this.chatBox(chatId);
      const replyTo = params.reply_parameters ?? (params.reply_to_message_id !== undefined ? { message_id: params.reply_to_message_id } : undefined);
      if (replyTo !== undefined) {
        const reply = objectParam(params.reply_parameters !== undefined ? "reply_parameters" : "reply_to_message_id", replyTo) as Params;
        const repliedId = intParam(reply, "message_id");
        const replied = repliedId === undefined ? undefined : box.messages.get(repliedId);
        if ((!replied || replied.deleted) && !isTrue(reply.allow_sending_without_reply) && !isTrue(params.allow_sending_without_reply)) {
          throw new ApiError(400, "Bad Request: message to be replied not found");
        }
      }
      const stored: StoredMessage = {
        seq: this.nextSeq++,
        messageId: box.nextId++,
        chatId,
        from: this.botUser,
        fromBot: true,
        date: version.date,
        current: version,
        versions: [version],
        deleted: false,
      };
      box.messages.set(stored.messageId, stored);
      this.messageEvents.push(this.snapshot(stored));
      return this.toApiMessage(stored);
    },
    editmessagetext: function editMessageText(params) {
      const stored = this.messageToEdit(params);
      return this.applyEdit(stored, this.messageVersion(params));
    },
    editmessagereplymarkup: function editMessageReplyMarkup(params) {
      const stored = this.messageToEdit(params);
      const replyMarkup = validateReplyMarkup(params.reply_markup, true);
      return this.applyEdit(stored, { ...stored.current, replyMarkup, date: unixNow() });
    },
    deletemessage: function deleteMessage(params) {
      const chatId = this.chatIdParam(params);
      const messageId = intParam(params, "message_id");
      if (messageId === undefined) throw new ApiError(400, "Bad Request: message identifier is not specified");
      const stored = this.chatMessages.get(chatId)?.messages.get(messageId);
      if (!stored || stored.deleted) throw new ApiError(400, "Bad Request: message to delete not found");
      stored.deleted = true;
      this.notify();
      return true;
    },
    deletemessages: function deleteMessages(params) {
      const chatId = this.chatIdParam(params);
      const ids = objectParam("message_ids", params.message_ids);
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) throw new ApiError(400, "Bad Request: message_ids must be a non-empty Array of at most 100 Integers");
      let deleted = 0;
      for (const id of ids) {
        const stored = this.chatMessages.get(chatId)?.messages.get(Number(id));
        if (stored && !stored.deleted) {
          stored.deleted = true;
          deleted++;
        }
      }
      if (deleted === 0) throw new ApiError(400, "Bad Request: message to delete not found");
      this.notify();
      return true;
    },
    answercallbackquery: function answerCallbackQuery(params) {
      const id = params.callback_query_id === undefined ? "" : String(params.callback_query_id);
      const query = this.callbackQueries.get(id);
      if (!query || query.answer || Date.now() - query.createdAt > this.options.callbackQueryTtlMs) {
        throw new ApiError(400, QUERY_TOO_OLD);
      }
      if (params.text !== undefined && [...String(params.text)].length > 200) throw new ApiError(400, "Bad Request: MESSAGE_TOO_LONG");
      query.answer = { ...params };
      this.notify();
      return true;
    },
    sendchataction: function sendChatAction(params) {
      this.chatIdParam(params);
      if (!CHAT_ACTIONS.has(String(params.action ?? ""))) throw new ApiError(400, "Bad Request: wrong parameter action in request");
      return true;
    },
    setmycommands: function setMyCommands(params) {
      const key = this.commandScopeKey(params);
      const commands = objectParam("commands", params.commands);
      if (!Array.isArray(commands)) throw new ApiError(400, "Bad Request: can't parse commands JSON object");
      if (commands.length > 100) throw new ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH");
      this.commandsByScope.set(key, commands.map(validateCommand));
      this.notify();
      return true;
    },
    getmycommands: function getMyCommands(params) {
      return this.commandsByScope.get(this.commandScopeKey(params)) ?? [];
    },
    deletemycommands: function deleteMyCommands(params) {
      this.commandsByScope.delete(this.commandScopeKey(params));
      return true;
    },
  };

  /** Long polling: answers at once when updates wait, else when one is injected or `timeout` runs out. */
  private async getUpdates(params: Params, res: http.ServerResponse): Promise<Update[]> {
    const offset = intParam(params, "offset") ?? 0;
    const limitParam = intParam(params, "limit") ?? 100;
    const limit = limitParam < 1 || limitParam > 100 ? 100 : limitParam;
    const timeout = Math.max(0, intParam(params, "timeout") ?? 0);
    if (params.allowed_updates !== undefined) {
      const allowed = objectParam("allowed_updates", params.allowed_updates);
      if (!Array.isArray(allowed)) throw new ApiError(400, "Bad Request: can't parse allowed_updates JSON object");
      this.allowedUpdates = allowed.map(String); // Telegram keeps this for later calls too.
    }
    // An offset confirms every update before it; a negative one keeps only the last -offset.
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    if (offset < 0) this.queue = this.queue.slice(offset);

    if (this.poll) {
      // grammY's bot.stop() aborts its poll and polls once more at once: give the abort a moment to land.
      await new Promise((resolve) => setTimeout(resolve, 25));
      const previous = this.poll;
      if (previous && !previous.res.destroyed) {
        this.poll = undefined;
        clearTimeout(previous.timer);
        previous.reject(new ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"));
      } else if (previous) {
        this.poll = undefined;
        clearTimeout(previous.timer);
        previous.resolve([]);
      }
    }
    const ready = this.deliverable(limit);
    if (ready.length > 0 || timeout === 0) return ready;
    return new Promise<Update[]>((resolve, reject) => {
      const poll: PendingPoll = {
        limit,
        res,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (this.poll === poll) this.poll = undefined;
          resolve([]);
        }, timeout * 1000),
      };
      this.poll = poll;
      this.notify();
      res.on("close", () => {
        if (this.poll !== poll) return;
        this.poll = undefined;
        clearTimeout(poll.timer);
        resolve([]);
      });
    });
  }

  private deliverable(limit: number): Update[] {
    const allowed = new Set(this.allowedUpdates.length > 0 ? this.allowedUpdates : UPDATE_TYPES.filter((t) => !OPT_IN_UPDATE_TYPES.has(t)));
    // Telegram never creates updates of a type the bot did not ask for.
    this.queue = this.queue.filter((update) => allowed.has(updateType(update)));
    return structuredClone(this.queue.slice(0, limit));
  }

  private servePoll(): void {
    const poll = this.poll;
    if (!poll) return;
    const ready = this.deliverable(poll.limit);
    if (ready.length === 0) return;
    this.poll = undefined;
    clearTimeout(poll.timer);
    poll.resolve(ready);
  }

  // ---- validation ------------------------------------------------------------------------

  private chatIdParam(params: Params): number {
    const raw = params.chat_id;
    if (raw === undefined || raw === "") throw new ApiError(400, "Bad Request: chat_id is empty");
    const chatId = typeof raw === "number" ? raw : /^-?\d+$/.test(String(raw)) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(chatId) || chatId === 0) throw new ApiError(400, "Bad Request: chat not found");
    if (this.options.knownChatsOnly && !this.chats.has(chatId)) throw new ApiError(400, "Bad Request: chat not found");
    return chatId;
  }

  /** The text, entities and keyboard of a sendMessage or editMessageText, checked like Telegram. */
  private messageVersion(params: Params): MessageVersion {
    const text = typeof params.text === "string" || typeof params.text === "number" ? String(params.text) : "";
    const parseMode = typeof params.parse_mode === "string" && params.parse_mode !== "" ? params.parse_mode : undefined;
    let plainText = text;
    let entities: TelegramEntity[] = [];
    switch (parseMode?.toLowerCase()) {
      case undefined:
        if (params.entities !== undefined) {
          const given = objectParam("entities", params.entities);
          if (!Array.isArray(given)) throw new ApiError(400, "Bad Request: can't parse entities JSON object");
          entities = given as TelegramEntity[];
        }
        break;
      case "html":
        try {
          ({ text: plainText, entities } = parseTelegramHtml(text));
        } catch (error) {
          if (error instanceof HtmlParseError) throw new ApiError(400, `Bad Request: can't parse entities: ${error.message}`);
          throw error;
        }
        break;
      case "markdown":
      case "markdownv2":
        break; // accepted as Telegram would, and listed in markdownCalls
      default:
        throw new ApiError(400, "Bad Request: unsupported parse_mode");
    }
    if (plainText.trim() === "") throw new ApiError(400, "Bad Request: message text is empty");
    if (plainText.length > MAX_TEXT_LENGTH) throw new ApiError(400, "Bad Request: message is too long");
    const version: MessageVersion = { text, plainText, entities, date: unixNow() };
    if (parseMode !== undefined) version.parseMode = parseMode;
    const replyMarkup = validateReplyMarkup(params.reply_markup, false);
    if (replyMarkup !== undefined) version.replyMarkup = replyMarkup;
    return version;
  }

  private messageToEdit(params: Params): StoredMessage {
    if (params.inline_message_id !== undefined) throw new ApiError(400, "Bad Request: MESSAGE_ID_INVALID");
    const chatId = this.chatIdParam(params);
    const messageId = intParam(params, "message_id");
    if (messageId === undefined) throw new ApiError(400, "Bad Request: message identifier is not specified");
    const stored = this.chatMessages.get(chatId)?.messages.get(messageId);
    if (!stored || stored.deleted) throw new ApiError(400, "Bad Request: message to edit not found");
    if (!stored.fromBot) throw new ApiError(400, "Bad Request: message can't be edited");
    return stored;
  }

  private applyEdit(stored: StoredMessage, next: MessageVersion): unknown {
    if (next.replyMarkup !== undefined && !("inline_keyboard" in next.replyMarkup)) {
      throw new ApiError(400, "Bad Request: inline keyboard expected");
    }
    // Telegram compares what the user would see: the text, its entities and the keyboard.
    if (visibleState(stored.current) === visibleState(next)) throw new ApiError(400, MESSAGE_NOT_MODIFIED);
    stored.current = next;
    stored.versions.push(next);
    stored.editDate = next.date;
    this.messageEvents.push(this.snapshot(stored));
    this.notify();
    return this.toApiMessage(stored);
  }

  private commandScopeKey(params: Params): string {
    const scope = params.scope === undefined ? { type: "default" } : objectParam("scope", params.scope);
    if (typeof scope !== "object" || scope === null || !COMMAND_SCOPES.has(String((scope as Params).type))) {
      throw new ApiError(400, "Bad Request: unsupported bot command scope type");
    }
    const language = params.language_code === undefined ? "" : String(params.language_code);
    if (language !== "" && !/^[a-z]{2}$/.test(language)) throw new ApiError(400, "Bad Request: invalid language code specified");
    return scopeKey(scope as Params, language);
  }

  // ---- state -----------------------------------------------------------------------------

  private chatBox(chatId: number): { nextId: number; messages: Map<number, StoredMessage> } {
    let box = this.chatMessages.get(chatId);
    if (!box) {
      box = { nextId: 1, messages: new Map() };
      this.chatMessages.set(chatId, box);
    }
    return box;
  }

  private storedMessages(chatId?: number): StoredMessage[] {
    const boxes = chatId === undefined ? [...this.chatMessages.values()] : [this.chatMessages.get(chatId)].filter((b) => b !== undefined);
    return boxes.flatMap((box) => [...box.messages.values()]).sort((a, b) => a.seq - b.seq);
  }

  private rememberUser(id: number, firstName?: string, username?: string): TelegramUser {
    const known = this.users.get(id);
    const user: TelegramUser = { id, is_bot: false, first_name: firstName ?? known?.first_name ?? `User ${id}` };
    const name = username ?? known?.username;
    if (name !== undefined) user.username = name;
    this.users.set(id, user);
    return user;
  }

  private chatObject(chatId: number): TelegramChat {
    const known = this.chats.get(chatId);
    if (known) return known;
    if (chatId > 0) return { id: chatId, type: "private", first_name: this.users.get(chatId)?.first_name ?? `User ${chatId}` };
    return { id: chatId, type: chatId < -1e12 ? "supergroup" : "group", title: "Gaia admins" };
  }

  private toApiMessage(stored: StoredMessage): Record<string, unknown> {
    const message: Record<string, unknown> = {
      message_id: stored.messageId,
      from: stored.from,
      chat: this.chatObject(stored.chatId),
      date: stored.date,
      text: stored.current.plainText,
    };
    if (stored.editDate !== undefined) message.edit_date = stored.editDate;
    if (stored.current.entities.length > 0) message.entities = stored.current.entities;
    if (stored.current.replyMarkup && "inline_keyboard" in stored.current.replyMarkup) message.reply_markup = stored.current.replyMarkup;
    return structuredClone(message);
  }

  private snapshot(stored: StoredMessage): SentMessage {
    const message: SentMessage = {
      messageId: stored.messageId,
      chatId: stored.chatId,
      ...stored.current,
      buttons: buttonsOf(stored.current.replyMarkup),
      edits: stored.versions.slice(1),
      deleted: stored.deleted,
    };
    if (stored.editDate !== undefined) message.editDate = stored.editDate;
    return structuredClone(message);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    const found = check();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const listener = (): void => {
        if (!this.server) {
          done();
          return reject(new Error(`FakeTelegram stopped while waiting for ${what()}`));
        }
        const value = check();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`FakeTelegram: no ${what()} within ${timeoutMs} ms.\n${this.describe()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
    });
  }

  /** What the bot sent and what was refused, for failure messages. */
  describe(): string {
    const sent = this.messages().map((m) => {
      const flags = [m.edits.length > 0 ? `edited ${m.edits.length}×` : "", m.deleted ? "deleted" : "", m.buttons.length > 0 ? `buttons: ${m.buttons.map((b) => b.text).join(" | ")}` : ""].filter(Boolean);
      const text = m.plainText.length > 300 ? `${m.plainText.slice(0, 300)}…` : m.plainText;
      return `  [chat ${m.chatId} #${m.messageId}${flags.length ? `, ${flags.join(", ")}` : ""}] ${JSON.stringify(text)}`;
    });
    const refused = this.rejections.map((c) => `  ${c.method}: ${c.status} ${c.description}`);
    return [
      sent.length ? `The bot sent ${sent.length} message(s):` : "The bot sent no message.",
      ...sent,
      refused.length ? `Rejected calls (${refused.length}):` : "No call was rejected.",
      ...refused,
      `Calls: ${this.calls.map((c) => `${c.method}${c.ok ? "" : `(${c.status})`}`).join(", ") || "none"}`,
    ].join("\n");
  }
}

// ---- helpers -----------------------------------------------------------------------------

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}







function scopeKey(scope: Record<string, unknown>, languageCode: string): string {
  return JSON.stringify([scope.type ?? "default", scope.chat_id ?? null, scope.user_id ?? null, languageCode]);
}

function updateType(update: Update): string {
  return Object.keys(update).find((key) => key !== "update_id") ?? "";
}

function commandEntities(text: string): TelegramEntity[] {
  const command = /^\/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_])/.exec(text);
  return command ? [{ type: "bot_command", offset: 0, length: command[0].length }] : [];
}

function buttonsOf(markup: ReplyMarkup | undefined): SentButton[] {
  if (!markup || !("inline_keyboard" in markup)) return [];
  return (markup.inline_keyboard as InlineButton[][]).flat().map((b) => {
    const button: SentButton = { text: b.text };
    if (b.callback_data !== undefined) button.callbackData = b.callback_data;
    if (b.url !== undefined) button.url = b.url;
    return button;
  });
}

/** Text, entities and keyboard in a canonical form, to tell whether an edit changes anything. */
function visibleState(version: MessageVersion): string {
  const keyboard = version.replyMarkup && "inline_keyboard" in version.replyMarkup ? (version.replyMarkup.inline_keyboard as InlineButton[][]) : [];
  const canonicalKeyboard = keyboard.filter((row) => row.length > 0).map((row) => row.map((b) => Object.fromEntries(Object.entries(b).sort(([x], [y]) => x.localeCompare(y)))));
  const entities = version.entities.map((e) => [e.type, e.offset, e.length, e.url ?? "", e.language ?? ""]);
  return JSON.stringify([version.plainText, entities, canonicalKeyboard]);
}

function toTest(predicate: MessagePredicate): (message: SentMessage) => boolean {
  if (typeof predicate === "string") return (m) => m.plainText.includes(predicate);
  if (predicate instanceof RegExp) return (m) => new RegExp(predicate.source, predicate.flags.replace("g", "")).test(m.plainText);
  return predicate;
}



function writeJson(res: http.ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
