import { GrammyError, HttpError } from "grammy";
import { describe, expect, it } from "vitest";
import { classifyTelegramError } from "../../bot/telegram-errors.js";

function answer(code: number, description: string, retryAfter?: number): GrammyError {
  return new GrammyError(`Call to 'sendMessage' failed! (${code}: ${description})`, { ok: false, error_code: code, description, ...(retryAfter ? { parameters: { retry_after: retryAfter } } : {}) }, "sendMessage", {});
}

describe("what a failed Bot API call means, read the same way by polling, delivery and approvals", () => {
  it.each([
    [answer(401, "Unauthorized"), { kind: "unauthorized", description: "Unauthorized" }],
    [answer(429, "Too Many Requests: retry after 7", 7), { kind: "rate-limited", retryAfterMs: 7000, description: "Too Many Requests: retry after 7" }],
    [answer(400, "Bad Request: chat not found"), { kind: "refused", code: 400, description: "Bad Request: chat not found" }],
    [answer(403, "Forbidden: bot was blocked by the user"), { kind: "refused", code: 403, description: "Forbidden: bot was blocked by the user" }],
    [answer(502, "Bad Gateway"), { kind: "transient" }],
    [new HttpError("Network request for 'sendMessage' failed!", new Error("ECONNREFUSED")), { kind: "transient" }],
  ])("%s", (error, expected) => {
    expect(classifyTelegramError(error)).toEqual(expected);
  });

  it("leaves errors that did not come from Telegram to the caller (a bug is rethrown, not retried)", () => {
    expect(classifyTelegramError(new TypeError("x is undefined"))).toBeUndefined();
  });
});
