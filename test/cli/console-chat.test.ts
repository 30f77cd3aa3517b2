import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ConsoleChat } from "../../cli/console-chat.js";

describe("the console chat over weeks", () => {
  it("keeps its button numbers short and its memory bounded however many messages with buttons it prints", async () => {
    const output = new PassThrough();
    let printed = "";
    output.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    const chat = new ConsoleChat({ input: new PassThrough(), output, colours: false, userId: 1 });
    const call = chat.transformer() as unknown as (prev: unknown, method: string, payload: Record<string, unknown>) => Promise<{ result: { message_id: number } }>;
    const keyboard = { inline_keyboard: [[{ text: "Ack", callback_data: "a" }, { text: "Mute 1h", callback_data: "m" }]] };
    let lastId = 0;
    for (let i = 0; i < 5000; i++) {
      printed = "";
      lastId = (await call(undefined, "sendMessage", { chat_id: 1, text: `alert ${i}`, reply_markup: keyboard })).result.message_id;
    }
    const numbers = [...printed.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(numbers).toHaveLength(2);
    // 50 messages are remembered, 2 buttons each: numbers never go past 100.
    for (const n of numbers) expect(n).toBeLessThanOrEqual(100);
    const remembered = (chat as unknown as { sent: Map<number, unknown> }).sent;
    expect(remembered.size).toBe(50);
    expect(remembered.has(lastId)).toBe(true);
    // A message that scrolled out is forgotten: editing its buttons prints nothing.
    printed = "";
    await call(undefined, "editMessageReplyMarkup", { chat_id: 1, message_id: 1, reply_markup: keyboard });
    expect(printed).toBe("");
  });
});
