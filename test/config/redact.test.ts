import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../config/redact.js";

describe("redacting secrets from text", () => {
  it.each([
    ["a GitHub classic token", "token ghp_" + "a".repeat(36) + " used"],
    ["a fine-grained GitHub token", "github_pat_" + "B".repeat(70)],
    ["a Telegram bot token", "url https://api.telegram.org/bot123456789:" + "C".repeat(35) + "/getMe"],
    ["a Telegram bot token with a 14-digit bot id", "token 12345678901234:" + "C".repeat(35)],
    ["a bearer header", "Authorization: Bearer abcdefghijklmnop1234567890"],
    ["a fake private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"],
  ])("hides %s", (_kind, text) => {
    const out = redactSecrets(text);
    expect(out).toContain("[REDACTED]");
    expect(out).not.toMatch(/ghp_a|github_pat_B|CCCCCCCC|abcdefghijklmnop|MIIEow/);
  });

  it("hides known secret values of 8+ characters wherever they appear, and leaves short ones", () => {
    expect(redactSecrets("backup pw=hunter2hunter2 ok", ["hunter2hunter2", "abc"])).toBe("backup pw=[REDACTED] ok");
    expect(redactSecrets("abc is fine", ["abc"])).toBe("abc is fine");
  });
});
