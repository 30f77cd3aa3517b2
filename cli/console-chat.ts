import { createInterface, type Interface } from "node:readline";
import type { Bot, Transformer } from "grammy";
import type { Message, Update, UserFromGetMe, InlineKeyboardButton } from "grammy/types";
import type { GaiaContext } from "../bot/context.js";
import { htmlToTerminal } from "./terminal-text.js";

/** The bot identity used in console mode, so that grammY never calls getMe. */
export const CONSOLE_BOT_INFO = {
  id: 1,
  is_bot: true as const,
  first_name: "Gaia",
  username: "gaia_console_bot",
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
} as unknown as UserFromGetMe;

interface ConsoleChatOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  colours: boolean;
  /** The person at the terminal: an admin (they already have a shell on the box). */
  userId: number;
}

/** Messages remembered (for edits and button presses); older ones scroll out of reach. */
const KEPT_MESSAGES = 50;

/**
 * Console mode's chat: the same grammY bot and handlers as Telegram, with the Bot API replaced by
 * the terminal. What the bot sends is printed (buttons numbered); a typed line becomes a message
 * update, and a typed button number becomes that button's callback query. Only the last
 * KEPT_MESSAGES messages are remembered, and a button takes the lowest free number, so weeks of
 * alerts neither grow memory nor make the numbers to type ever longer.
 */
export class ConsoleChat {
  private nextMessageId = 1;
  private nextUpdateId = 1;
  /** Button number → the button and the message it is on. */
  private readonly buttons = new Map<number, { messageId: number; button: InlineKeyboardButton.CallbackButton }>();
  private readonly sent = new Map<number, Message.TextMessage>();
  private readline?: Interface;

  constructor(private readonly options: ConsoleChatOptions) {}

  /** The API transformer that answers every Bot API call locally. */
  transformer(): Transformer {
    return (async (_prev, method, payload) => ({ ok: true, result: this.answer(method, payload as Record<string, unknown>) })) as Transformer;
  }

  /** Reads lines from the terminal and feeds them to the bot until the input closes. */
  attach(bot: Bot<GaiaContext>, onClose: () => void): void {
    this.readline = createInterface({ input: this.options.input, output: this.options.output, terminal: false });
    this.prompt();
    // One update at a time, in the order typed, as long polling hands them to the bot: a button
    // number typed (or piped) right after a command presses a button of that command's answer.
    let previous: Promise<unknown> = Promise.resolve();
    this.readline.on("line", (line) => {
      previous = previous.then(async () => {
        const update = this.updateFor(line.trim());
        if (update) await bot.handleUpdate(update).catch(() => undefined);
        this.prompt();
      });
    });
    // Piped input ends before its last commands are answered: answer them, then stop.
    this.readline.on("close", () => void previous.finally(onClose));
  }

  /** Prints a line of gaia's own (hints, notices) above the prompt. */
  say(text: string): void {
    this.options.output.write(`${text}\n`);
  }

  close(): void {
    this.readline?.close();
  }

  private prompt(): void {
    this.options.output.write("gaia> ");
  }

  private updateFor(line: string): Update | undefined {
    if (line === "") return undefined;
    const chat = { id: this.options.userId, type: "private" as const, first_name: "Console" };
    const from = { id: this.options.userId, is_bot: false, first_name: "Console" };
    const pressed = /^\d+$/.test(line) ? this.buttons.get(Number(line)) : undefined;
    if (pressed) {
      const message = this.sent.get(pressed.messageId);
      return {
        update_id: this.nextUpdateId++,
        callback_query: {
          id: String(this.nextUpdateId),
          from,
          chat_instance: "console",
          data: pressed.button.callback_data,
          ...(message ? { message } : {}),
        },
      };
    }
    const command = /^\/[a-z0-9_]+/i.exec(line);
    return {
      update_id: this.nextUpdateId++,
      message: {
        message_id: this.nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat,
        from,
        text: line,
        ...(command ? { entities: [{ type: "bot_command" as const, offset: 0, length: command[0].length }] } : {}),
      },
    };
  }

  private answer(method: string, payload: Record<string, unknown>): unknown {
    switch (method) {
      case "sendMessage":
        return this.show(this.nextMessageId++, payload, false);
      case "editMessageText":
        return this.show(Number(payload.message_id), payload, true);
      case "editMessageReplyMarkup": {
        const message = this.sent.get(Number(payload.message_id));
        return message ? this.show(message.message_id, { ...payload, text: message.text }, true) : true;
      }
      case "answerCallbackQuery":
        if (typeof payload.text === "string" && payload.text) this.say(`  (${payload.text})`);
        return true;
      default:
        return true; // setMyCommands, deleteMessage, sendChatAction...: nothing to show
    }
  }

  private show(messageId: number, payload: Record<string, unknown>, edited: boolean): Message.TextMessage {
    // Every text gaia sends is Telegram HTML (bot/html-parse-mode.ts), plain sentences included.
    const text = String(payload.text ?? "");
    const body = htmlToTerminal(text, this.options.colours);
    const keyboard = (payload.reply_markup as { inline_keyboard?: InlineKeyboardButton[][] } | undefined)?.inline_keyboard ?? [];
    this.forgetButtons(messageId);
    const labels: string[] = [];
    for (const button of keyboard.flat()) {
      if ("callback_data" in button) {
        let number = 1;
        while (this.buttons.has(number)) number++;
        this.buttons.set(number, { messageId, button });
        labels.push(`[${number}] ${button.text}`);
      }
    }
    this.say(`\n${edited ? "(updated) " : ""}${body}${labels.length ? `\n${labels.join("  ")}  (type the number to press)` : ""}`);
    const message = {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: Number(payload.chat_id ?? this.options.userId), type: "private" as const, first_name: "Console" },
      // What Telegram hands back in a callback query: the text as the reader sees it, tags parsed away.
      text: htmlToTerminal(text, false),
      ...(keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {}),
    } as Message.TextMessage;
    this.sent.delete(messageId);
    this.sent.set(messageId, message);
    while (this.sent.size > KEPT_MESSAGES) {
      const oldest = this.sent.keys().next().value as number;
      this.sent.delete(oldest);
      this.forgetButtons(oldest);
    }
    return message;
  }

  private forgetButtons(messageId: number): void {
    for (const [number, entry] of this.buttons) if (entry.messageId === messageId) this.buttons.delete(number);
  }
}
