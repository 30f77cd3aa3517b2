import { describe, expect, it } from "vitest";
import type { AlertPayload } from "../../../alerts/alert.js";
import type { DeliveryMessage } from "../../../alerts/delivery-plan.js";
import { renderAlert, deliveryFits, renderDelivery, renderDeliveryCounted, renderNotice } from "../../../bot/render/alert.js";
import { parseTelegramHtml } from "../../fakes/telegram-html.js";

const NOW = new Date("2025-06-01T12:00:00.000Z");

function payload(input: Partial<AlertPayload>): AlertPayload {
  return {
    subjectKind: "service",
    subject: "agent",
    condition: "down",
    change: "opened",
    incidentId: 7,
    at: NOW.toISOString(),
    openedAt: NOW.toISOString(),
    ...input,
  };
}

/** What the admin reads: Telegram's plain text after parsing the HTML (which must be valid). */
function plain(text: string): string {
  const parsed = parseTelegramHtml(text);
  expect(parsed.text.length).toBeLessThanOrEqual(4096);
  return parsed.text;
}

describe("alert messages as the admin reads them", () => {
  it("says a service is down, how it was watched, which others are down, and offers Ack, Mute 1h and Restart", () => {
    const message = renderAlert(
      payload({
        facts: [
          { kind: "watchedBy", match: { kind: "process", process: "node", args: "agent.js" } },
          { kind: "alsoDown", services: ["db", "cache"] },
        ],
        actions: ["ack", "mute", "restart"],
      }),
      { now: NOW },
    );
    expect(plain(message.text)).toMatch(/^🔴 agent is down since \d\d:\d\d\nWatched by: process node with “agent.js” in its command line\nAlso down: db, cache$/);
    expect(message.text).toContain("<b>agent is down</b>");
    expect(message.reply_markup!.inline_keyboard).toEqual([
      [
        { text: "Ack", callback_data: "inc:ack:7" },
        { text: "Mute 1h", callback_data: "inc:mute:7" },
        { text: "Restart", callback_data: "inc:restart:7" },
      ],
    ]);
  });

  it("gives the host's CPU in % of all cores and a service's in % of one core, each with its threshold", () => {
    const host = renderAlert(
      payload({
        subjectKind: "host",
        subject: "host",
        condition: "cpu",
        figures: { value: 95.4, threshold: 90, unit: "%" },
        facts: [
          {
            kind: "topProcesses",
            by: "cpu",
            processes: [
              { pid: 12, command: "ffmpeg -i in.mkv", cpuPercent: 180, memoryBytes: 0 },
              { pid: 13, command: "node <app> & co", cpuPercent: 10, memoryBytes: 0 },
            ],
          },
        ],
      }),
      { now: NOW },
    );
    expect(plain(host.text)).toBe(
      "🟠 host CPU at 95% of all cores (threshold 90%)\nTop processes by CPU:\n1. ffmpeg -i in.mkv (pid 12): 180% of one core\n2. node <app> & co (pid 13): 10% of one core",
    );
    expect(host.text).toContain("node &lt;app&gt; &amp; co");

    const service = renderAlert(payload({ condition: "cpu", figures: { value: 180, threshold: 90, unit: "%core" } }), { now: NOW });
    expect(plain(service.text)).toBe("🟠 agent CPU at 180% of one core (threshold 90%)");
    // Sizes read in powers of 1024 (MiB), in alerts as in /status and /top; `512MB` in gaia.yml is 10^6 bytes.
    const bytes = renderAlert(payload({ condition: "memory", figures: { value: 612 * 1024 ** 2, threshold: 512 * 1024 ** 2, unit: "bytes" } }), { now: NOW });
    expect(plain(bytes.text)).toBe("🟠 agent memory at 612 MiB (limit 512 MiB)");
    const decimal = renderAlert(payload({ condition: "memory", figures: { value: 612e6, threshold: 512e6, unit: "bytes" } }), { now: NOW });
    expect(plain(decimal.text)).toBe("🟠 agent memory at 584 MiB (limit 488 MiB)");
    const disk = renderAlert(payload({ subjectKind: "host", subject: "host", condition: "disk", change: "resolved", durationMs: 3_600_000, figures: { value: 80, threshold: 90, unit: "%" } }), { now: NOW });
    expect(plain(disk.text)).toBe("🟢 host disk back to normal: 80% used (threshold 90%), after 1h");
    expect(disk.reply_markup).toBeUndefined();
  });

  it("says how long an incident has lasted in reminders and recoveries", () => {
    const reminder = renderAlert(payload({ change: "reminder", durationMs: 2 * 3_600_000, openedAt: "2025-06-01T10:00:00.000Z", actions: ["ack", "mute"] }), { now: NOW });
    expect(plain(reminder.text)).toMatch(/^🔴 agent is still down after 2h \(since \d\d:\d\d\)$/);
    const back = renderAlert(payload({ change: "resolved", durationMs: 185_000 }), { now: NOW });
    expect(plain(back.text)).toMatch(/^🟢 agent is back up after 3m down \(\d\d:\d\d–\d\d:\d\d\)$/);
    const both = renderAlert(payload({ change: "resolved", durationMs: 40_000 }), { openedToo: true, now: NOW });
    expect(plain(both.text)).toMatch(/^🟢 agent was down for 40s \(\d\d:\d\d–\d\d:\d\d\), and is up again$/);
  });

  it("renders a task's failure with its output tail, escaped and cut from the front to fit", () => {
    const tail = `${"x".repeat(10_000)}\n<error> token & "quotes" at the end`;
    const message = renderAlert(
      payload({ subjectKind: "task", subject: "backup", condition: "failed", details: ["Exit code 2 after 4m"], pre: tail, actions: ["ack", "mute"] }),
      { now: NOW },
    );
    const text = plain(message.text);
    expect(text.startsWith("🔴 task backup failed\nExit code 2 after 4m\n…\n")).toBe(true);
    expect(text.endsWith('<error> token & "quotes" at the end')).toBe(true);
    expect(renderAlert(payload({ subjectKind: "task", subject: "backup", condition: "missed" }), { now: NOW }).text).toContain("🟠 <b>task backup missed its run</b>");
    expect(plain(renderAlert(payload({ subjectKind: "task", subject: "backup", condition: "failed", change: "resolved" }), { now: NOW }).text)).toBe(
      "🟢 task backup succeeded again",
    );
  });

  it("groups alerts that fall due together, with a button row per alert, and a backlog header after an outage", () => {
    const message: DeliveryMessage = {
      chatId: 1,
      delayedSince: "2025-06-01T11:40:00.000Z",
      items: [
        { kind: "notice", payload: { title: "Gaia started", lines: ["Watching the host."] } },
        { kind: "alert", payload: payload({ actions: ["ack", "mute", "restart"] }) },
        { kind: "alert", payload: payload({ subject: "db", incidentId: 8, change: "resolved", durationMs: 60_000 }), openedToo: true },
      ],
    };
    const rendered = renderDelivery(message, NOW);
    const text = plain(rendered.text);
    expect(text).toMatch(/^📬 3 messages held back: Telegram could not be reached from \d\d:\d\d to \d\d:\d\d\.\n\nℹ️ Gaia started\nWatching the host\.\n\n🔴 agent is down/);
    expect(text).toMatch(/🟢 db was down for 1m/);
    expect(rendered.reply_markup!.inline_keyboard).toEqual([
      [
        { text: "Ack agent", callback_data: "inc:ack:7" },
        { text: "Mute agent 1h", callback_data: "inc:mute:7" },
        { text: "Restart agent", callback_data: "inc:restart:7" },
      ],
    ]);
  });

  it("never exceeds 4096 characters: a huge backlog keeps whole alerts and says how many did not fit (delivery splits before, see deliveryFits)", () => {
    const items = Array.from({ length: 300 }, (_, i) => ({
      kind: "alert" as const,
      // Ready-made lines, as outbox rows queued before alerts carried facts: shown as they are.
      payload: payload({ subject: `service-${i}`, incidentId: i + 1, details: [`Watched by: process node with “worker-${i}.js” in its command line`], actions: ["ack"] }),
    }));
    const rendered = renderDelivery({ chatId: 1, items }, NOW);
    const text = plain(rendered.text);
    expect(rendered.text.length).toBeLessThanOrEqual(4096);
    const shown = (text.match(/🔴/g) ?? []).length;
    expect(shown).toBeGreaterThan(20);
    expect(text).toContain(`…and ${300 - shown} more items that did not fit; see /history.`);
    expect(rendered.reply_markup!.inline_keyboard.length).toBe(10);
    expect(rendered.reply_markup!.inline_keyboard[0]).toEqual([{ text: "Ack service-0", callback_data: "inc:ack:1" }]);
    expect(renderDeliveryCounted({ chatId: 1, items }, NOW).itemsShown).toBe(shown);
    expect(deliveryFits({ chatId: 1, items }, NOW)).toBe(false);
    expect(deliveryFits({ chatId: 1, items: items.slice(0, 10) }, NOW)).toBe(true);
    // One more alert with buttons than there are button rows: split, so that each keeps its buttons.
    expect(deliveryFits({ chatId: 1, items: items.slice(0, 11) }, NOW)).toBe(false);
  });

  it("names at most five other services under Also down, and none that the same message names anyway", () => {
    const others = Array.from({ length: 39 }, (_, i) => `service-with-a-long-name-${i}`);
    const alone = renderDelivery({ chatId: 1, items: [{ kind: "alert", payload: payload({ subject: "a", facts: [{ kind: "alsoDown", services: others }] }) }] }, NOW);
    expect(plain(alone.text)).toContain("Also down: service-with-a-long-name-0, service-with-a-long-name-1, service-with-a-long-name-2, service-with-a-long-name-3, service-with-a-long-name-4 and 34 more (see /status)");
    const grouped = renderDelivery(
      {
        chatId: 1,
        items: [
          { kind: "alert", payload: payload({ subject: "a", incidentId: 1, facts: [{ kind: "alsoDown", services: ["b", "c"] }] }) },
          { kind: "alert", payload: payload({ subject: "b", incidentId: 2, facts: [{ kind: "alsoDown", services: ["a", "c"] }] }) },
        ],
      },
      NOW,
    );
    expect(plain(grouped.text)).not.toContain("Also down: b");
    expect(plain(grouped.text)).toContain("Also down: c");
  });

  it("heads a message Telegram may already have shown as a possible repeat", () => {
    const rendered = renderDelivery({ chatId: 1, possibleRepeat: true, items: [{ kind: "alert", payload: payload({ subject: "a" }) }] }, NOW);
    expect(plain(rendered.text)).toMatch(/^↩️ Possibly a repeat: gaia was stopped or lost the connection while sending this/);
  });

  it("escapes everything in a notice", () => {
    expect(renderNotice({ title: "a <b> & c", lines: ["x > y"] }).text).toBe("ℹ️ <b>a &lt;b&gt; &amp; c</b>\nx &gt; y");
  });
});
