import { describe, expect, it } from "vitest";
import { renderHistory } from "../../../bot/render/history.js";
import type { HistoryEntry, HistoryPage } from "../../../queries/history-timeline.js";
import { parseTelegramHtml } from "../../fakes/telegram-html.js";

const at = (d: number, h: number, m = 0) => new Date(2026, 5, d, h, m).toISOString();

function page(entries: HistoryEntry[], overrides: Partial<HistoryPage> = {}): HistoryPage {
  return { subject: "agent", entries, page: 0, pages: 1, total: entries.length, ...overrides };
}

describe("the /history message", () => {
  it("lists incidents, events and runs newest first under day headings", () => {
    const message = renderHistory(
      page([
        { kind: "event", at: at(2, 9, 5), id: 9, eventKind: "service.down", actor: "system", subject: "agent", message: "agent is down <b>&" },
        { kind: "incident", at: at(2, 9, 5), id: 3, subjectKind: "service", subjectName: "agent", condition: "down", resolvedAt: null, acknowledged: true, muted: false },
        { kind: "incident", at: at(1, 22, 0), id: 2, subjectKind: "service", subjectName: "agent", condition: "cpu", resolvedAt: at(1, 22, 12), acknowledged: false, muted: true },
        { kind: "run", at: at(1, 21, 0), id: "r1", task: "agent", status: "failed", exitCode: 3, durationMs: 12_000 },
        { kind: "event", at: at(1, 20, 0), id: 1, eventKind: "mute.set", actor: "telegram:42", subject: "agent", message: "Muted agent for 1h" },
      ]),
      { knownSubject: true },
    );
    expect(parseTelegramHtml(message.text).text).toBe(
      [
        "History of agent (newest first)",
        "",
        "2026-06-02",
        "09:05 service.down agent is down <b>&",
        "09:05 🔴 agent down, still open (acknowledged)",
        "",
        "2026-06-01",
        "22:00 🟢 agent cpu, lasted 12m (muted)",
        "21:00 ❌ run failed (exit 3) in 12s",
        "20:00 mute.set Muted agent for 1h (telegram:42)",
      ].join("\n"),
    );
    expect(message.reply_markup).toEqual({ inline_keyboard: [[{ text: "🔄 Refresh", callback_data: "hi:0:agent" }]] });
  });

  it("pages with Newer and Older buttons that keep the subject", () => {
    const message = renderHistory(page([], { subject: null, page: 1, pages: 3, total: 40 }), { knownSubject: true });
    expect(parseTelegramHtml(message.text).text).toContain("History (newest first) · page 2 of 3");
    expect(message.reply_markup!.inline_keyboard[0].map((b) => [b.text, b.callback_data])).toEqual([
      ["‹ Newer", "hi:0:"],
      ["🔄 Refresh", "hi:1:"],
      ["Older ›", "hi:2:"],
    ]);
  });

  it("says when nothing was recorded, and when the name is not in gaia.yml", () => {
    expect(parseTelegramHtml(renderHistory(page([], { subject: "typo" }), { knownSubject: false }).text).text).toContain(
      "Nothing recorded about typo yet. It is not a service or task of gaia.yml.",
    );
    expect(parseTelegramHtml(renderHistory(page([], { subject: null }), { knownSubject: true }).text).text).toContain("Nothing recorded yet.");
  });

  it("keeps a page of the longest events within Telegram's limit", () => {
    const entries: HistoryEntry[] = Array.from({ length: 15 }, (_, i) => ({
      kind: "event", at: at(1 + i, 12), id: i, eventKind: "k".repeat(64), actor: "a".repeat(64), subject: "agent", message: "<&>".repeat(3000),
    }));
    const message = renderHistory(page(entries), { knownSubject: true });
    expect(message.text.length).toBeLessThanOrEqual(4096);
    expect(() => parseTelegramHtml(message.text)).not.toThrow();
  });

  it("across hosts (a shared PostgreSQL), says which hosts and names each line's host, and its buttons keep the hosts", () => {
    const message = renderHistory(
      page(
        [
          { kind: "incident", at: at(2, 9, 5), id: 3, subjectKind: "service", subjectName: "agent", condition: "down", resolvedAt: null, acknowledged: false, muted: false, host: "pi" },
          { kind: "event", at: at(2, 9, 0), id: 9, eventKind: "service.down", actor: "system", subject: "agent", message: "agent is down", host: "nas" },
        ],
        { host: "*", pages: 2 },
      ),
      { knownSubject: true },
    );
    expect(parseTelegramHtml(message.text).text.split("\n")).toEqual([
      "History of agent on every host (newest first) · page 1 of 2",
      "",
      "2026-06-02",
      "09:05 [pi] 🔴 agent down, still open",
      "09:00 [nas] service.down agent is down",
    ]);
    expect(message.reply_markup?.inline_keyboard[0].map((b) => "callback_data" in b && b.callback_data)).toEqual(["hi:0:agent:*", "hi:1:agent:*"]);
  });
});
