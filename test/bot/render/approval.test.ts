import { describe, expect, it } from "vitest";
import { renderApprovalOutcome, renderApprovalRequest, renderPendingApprovals, renderPressAnswer, type ApprovalCard } from "../../../bot/render/approval.js";
import { formatZonedDateTime } from "../../../bot/render/figures.js";
import { parseTelegramHtml } from "../../fakes/telegram-html.js";
import { validateReplyMarkup } from "../../fakes/telegram-requests.js";

const NOW = new Date("2026-11-25T12:00:00.000Z");

function card(overrides: Partial<ApprovalCard> = {}): ApprovalCard {
  return {
    id: "0123456789abcdef",
    title: "Push to main",
    details: "3 commits by bob",
    requester: "bob",
    status: "pending",
    createdAt: NOW,
    expiresAt: new Date(NOW.getTime() + 600_000),
    decidedBy: null,
    decidedAt: null,
    ...overrides,
  };
}

describe("an approval request as the admins see it", () => {
  it("shows title, details, requester, host and expiry, with Approve and Deny buttons", () => {
    const message = renderApprovalRequest(card(), { host: "nas", now: NOW });
    const { text } = parseTelegramHtml(message.text);
    expect(text).toBe(
      [
        "🔐 Approval requested",
        "Push to main",
        "3 commits by bob",
        "",
        "Requested by bob on nas at 2026-11-25 12:00:00 UTC",
        "Expires 2026-11-25 12:10:00 UTC (in 10m)",
      ].join("\n"),
    );
    expect(message.reply_markup?.inline_keyboard).toEqual([
      [
        { text: "✅ Approve", callback_data: "apr:y:0123456789abcdef" },
        { text: "❌ Deny", callback_data: "apr:n:0123456789abcdef" },
      ],
    ]);
    expect(() => validateReplyMarkup(message.reply_markup, true)).not.toThrow();
  });

  it("shows markup in a title, details, requester or host literally", () => {
    const message = renderApprovalRequest(
      card({ title: "<b>rm -rf</b> & co", details: "a < b && c > d; &amp; stays", requester: "<i>eve</i>" }),
      { host: "n&s<1>", now: NOW },
    );
    const { text, entities } = parseTelegramHtml(message.text);
    expect(text).toContain("<b>rm -rf</b> & co");
    expect(text).toContain("a < b && c > d; &amp; stays");
    expect(text).toContain("Requested by <i>eve</i> on n&s<1>");
    // Only gaia's own bold: the headline and the title.
    expect(entities.map((e) => e.type)).toEqual(["bold", "bold"]);
  });

  it("fits one Telegram message at the largest sizes the API accepts, even all in emoji and markup", () => {
    const big = card({ title: "<".repeat(200), details: "&".repeat(3000), requester: "🙂".repeat(100) });
    for (const message of [renderApprovalRequest(big, { host: "h".repeat(300), now: NOW }), renderApprovalOutcome({ ...big, status: "approved", decidedBy: "A".repeat(128), decidedAt: NOW }, { host: "h" })]) {
      expect(parseTelegramHtml(message.text).text.length).toBeLessThanOrEqual(4096);
    }
  });

  it("shows the outcome, who and when, without buttons, once decided or expired", () => {
    const decidedAt = new Date("2026-11-25T12:03:04.000Z");
    const approved = renderApprovalOutcome(card({ status: "approved", decidedBy: "Alice (424242)", decidedAt }), { host: "nas" });
    expect(approved.reply_markup).toBeUndefined();
    expect(parseTelegramHtml(approved.text).text.split("\n")[0]).toBe("✅ Approved by Alice (424242) at 2026-11-25 12:03:04 UTC");
    const denied = renderApprovalOutcome(card({ status: "denied", decidedBy: "Bob <b> (7)", decidedAt }), { host: "nas" });
    expect(parseTelegramHtml(denied.text).text.split("\n")[0]).toBe("❌ Denied by Bob <b> (7) at 2026-11-25 12:03:04 UTC");
    const expired = renderApprovalOutcome(card({ status: "expired" }), { host: "nas" });
    expect(parseTelegramHtml(expired.text).text.split("\n")[0]).toBe("⌛ Expired at 2026-11-25 12:10:00 UTC without a decision");
    expect(parseTelegramHtml(expired.text).text).toContain("Push to main");
  });

  it("answers every kind of press briefly, within Telegram's 200 characters", () => {
    const decidedAt = new Date("2026-11-25T12:03:04.000Z");
    expect(renderPressAnswer({ kind: "decided", request: card({ status: "approved" }) })).toBe("Approved.");
    expect(renderPressAnswer({ kind: "decided", request: card({ status: "denied" }) })).toBe("Denied.");
    expect(renderPressAnswer({ kind: "already", request: card({ status: "approved", decidedBy: "Alice (1)", decidedAt }) })).toBe(
      "Already approved by Alice (1) at 2026-11-25 12:03:04 UTC.",
    );
    expect(renderPressAnswer({ kind: "already", request: card({ status: "expired" }) })).toBe("This request expired at 2026-11-25 12:10:00 UTC.");
    expect(renderPressAnswer({ kind: "unknown" })).toBe("This approval request no longer exists.");
    expect(renderPressAnswer({ kind: "malformed" })).toBe("This button is not valid.");
    const long = renderPressAnswer({ kind: "already", request: card({ status: "denied", decidedBy: "x".repeat(300), decidedAt }) });
    expect(long.length).toBeLessThanOrEqual(200);
  });

  it("heads /approvals with the count, and says when only the oldest are repeated", () => {
    expect(renderPendingApprovals(0, 0).text).toBe("No approval request is waiting for a decision.");
    expect(parseTelegramHtml(renderPendingApprovals(1, 1).text).text).toBe("1 approval request is waiting for a decision:");
    expect(parseTelegramHtml(renderPendingApprovals(12, 10).text).text).toBe(
      "12 approval requests are waiting for a decision:\nThe oldest 10 follow; decide those to see the others.",
    );
    expect(formatZonedDateTime(NOW)).toBe("2026-11-25 12:00:00 UTC");
  });
});
