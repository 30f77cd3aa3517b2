import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryRateLimited, DeliveryRefused } from "../../alerts/deliver-outbox.js";
import type { DeliveryMessage } from "../../alerts/delivery-plan.js";
import { createAlertSender } from "../../bot/alert-sender.js";
import { createBot } from "../../bot/bot.js";
import { TelegramDeadlines } from "../../bot/telegram-deadlines.js";
import { CONSOLE_BOT_INFO } from "../../cli/console-chat.js";
import { silentLogger } from "../../cli/logger.js";
import type { AuditTrail } from "../../entities/audit-trail.js";
import { FakeTelegram } from "../fakes/telegram.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const MESSAGE: DeliveryMessage = {
  chatId: 42,
  items: [
    {
      kind: "alert",
      payload: { subjectKind: "service", subject: "agent", condition: "down", change: "opened", incidentId: 3, at: new Date().toISOString(), openedAt: new Date().toISOString(), actions: ["ack", "mute"] },
    },
  ],
};

describe("the outbox's sender, through the bot's own Bot API client", () => {
  let tg: FakeTelegram;
  let send: ReturnType<typeof createAlertSender>;
  beforeEach(async () => {
    tg = await FakeTelegram.start({ token: TOKEN });
    // The same client as the running monitor: auto-retry for 429s included.
    const bot = createBot({ token: TOKEN, apiRoot: tg.apiRoot, admins: [1], audit: {} as AuditTrail, logger: silentLogger(), deadlines: new TelegramDeadlines(), botInfo: CONSOLE_BOT_INFO });
    send = createAlertSender(bot.api);
  });
  afterEach(() => tg.stop());

  it("sends the rendered HTML with its buttons and answers Telegram's message id", async () => {
    const { messageId } = await send(MESSAGE, AbortSignal.timeout(5000));
    const [sent] = tg.messages(42);
    expect(sent.messageId).toBe(messageId);
    expect(sent.parseMode).toBe("HTML");
    expect(sent.plainText).toMatch(/^🔴 agent is down since/);
    expect(sent.buttons.map((b) => b.callbackData)).toEqual(["inc:ack:3", "inc:mute:3"]);
    expect(tg.rejections).toEqual([]);
  });

  it("turns a 400 into a refusal for good, and a 502 or a dead server into an error to retry", async () => {
    tg.failNext("sendMessage", 1, { status: 400, description: "Bad Request: chat not found" });
    await expect(send(MESSAGE, AbortSignal.timeout(5000))).rejects.toBeInstanceOf(DeliveryRefused);
    tg.failNext("sendMessage", 1, { status: 502, html: true });
    const error = await send(MESSAGE, AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(DeliveryRefused);
    expect(error).not.toBeInstanceOf(DeliveryRateLimited);
  });

  it("reports the wait Telegram asks for when it is longer than the client sleeps out itself", async () => {
    tg.rateLimitNext("sendMessage", 90);
    const error = await send(MESSAGE, AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryRateLimited);
    expect((error as DeliveryRateLimited).retryAfterMs).toBe(90_000);
  });

  it("keeps honouring a retry_after that the attempt's deadline cut short", async () => {
    tg.rateLimitNext("sendMessage", 30);
    const started = Date.now();
    const error = await send(MESSAGE, AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(DeliveryRateLimited);
    expect((error as DeliveryRateLimited).retryAfterMs).toBe(60_000);
    expect(tg.messages(42)).toEqual([]);
  });
});
