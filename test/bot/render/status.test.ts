import { describe, expect, it } from "vitest";
import { renderStatus } from "../../../bot/render/status.js";
import { parseTelegramHtml } from "../../fakes/telegram-html.js";
import { service, statusReport, task } from "./report-fixture.js";

/** What the reader sees, after Telegram's own parsing (which throws on malformed HTML). */
function seen(text: string): string {
  return parseTelegramHtml(text).text;
}

describe("the /status message", () => {
  it("shows the host's figures in a monospace block with last-hour sparklines, and a Refresh button", () => {
    const message = renderStatus(statusReport());
    const text = seen(message.text);
    expect(message.text).toMatch(/^<b>Gaia · nas<\/b>\n<pre>/);
    expect(text).toContain("CPU    37%   ▁▂▂▃▄▅▅▆▇▇█ \n");
    expect(text).toContain("Memory 45%   ▄▄▄▄▄▄▄▄▄▄▄▄");
    expect(text).toContain("3.6 GiB of 7.8 GiB");
    expect(text).toContain("Disk   61%   120 GiB of 200 GiB");
    expect(text).toContain("Load   0.52 0.40 0.31");
    expect(text).toContain("Uptime 3d 4h");
    expect(text).toContain("CPU is % of all cores; charts: the last hour, 5 min a bar.");
    expect(text).toContain("🟢 agent · up 3d 4h · pid 1234 · CPU 12% · 120 MiB");
    expect(text).toContain("Heartbeat 12:03 · figures of 12:03:15, probed every 15s");
    expect(message.reply_markup).toEqual({ inline_keyboard: [[{ text: "🔄 Refresh", callback_data: "st:0" }]] });
  });

  it("lists down services first with since when, muted ones with until when, and open incidents and approvals", () => {
    const report = statusReport({
      services: [
        service({ name: "agent" }),
        service({ name: "web", state: "down", downSince: new Date(2026, 5, 1, 11, 58).toISOString(), pids: [], cpuPercent: null, memoryBytes: null, uptimeSeconds: null }),
        service({ name: "db", pids: [10, 11, 12, 13], processCount: 4, mutedUntil: new Date(2026, 5, 1, 14, 0).toISOString() }),
      ],
      incidents: [
        { id: 2, subjectKind: "service", subjectName: "web", condition: "down", openedAt: new Date(2026, 5, 1, 11, 58).toISOString(), acknowledged: true, muted: false, figures: null },
        { id: 1, subjectKind: "host", subjectName: "host", condition: "disk", openedAt: new Date(2026, 4, 31, 23, 10).toISOString(), acknowledged: false, muted: true, figures: null },
      ],
      approvals: [
        { id: "a1", title: "Deploy <b>&amp; v2", requester: "deploy.sh", createdAt: new Date(2026, 5, 1, 12, 0).toISOString(), expiresAt: new Date(2026, 5, 1, 12, 10).toISOString() },
      ],
    });
    const text = seen(renderStatus(report).text);
    const lines = text.split("\n");
    expect(lines.indexOf("🔴 web · down since 11:58 (5m)")).toBeLessThan(lines.findIndex((l) => l.startsWith("🟢 agent")));
    expect(text).toContain("🟢 db · up 3d 4h · pids 10, 11 +2 · CPU 12% · 120 MiB · 🔕 muted until 14:00");
    expect(text).toContain("Services (2 of 3 up)");
    expect(text).toContain("Open incidents (2)\n🔴 web down since 11:58 (5m) · acknowledged\n🟠 host disk since 2026-05-31 23:10 (12h 53m) · muted");
    expect(text).toContain("Pending approvals (1)\n⏳ Deploy <b>&amp; v2 · from deploy.sh · until 12:10");
  });

  it("says when a host figure is at or above its threshold", () => {
    const report = statusReport();
    report.host!.diskPercent = 93;
    expect(seen(renderStatus(report).text)).toContain("🟠 at or above the threshold: disk 90%");
  });

  it("shows each task's last run, its result and when the next good run is due", () => {
    const at = (h: number, m = 0) => new Date(2026, 5, 1, h, m).toISOString();
    const report = statusReport({
      tasks: [
        task({ name: "backup", expectMs: 86_400_000, lastRun: { startedAt: at(9), endedAt: at(9, 2), status: "succeeded", exitCode: 0, durationMs: 123_000 }, lastSuccessAt: at(9), nextExpectedAt: new Date(2026, 5, 2, 9).toISOString() }),
        task({ name: "sync", lastRun: { startedAt: at(12), endedAt: at(12), status: "failed", exitCode: 3, durationMs: 12_000 } }),
        task({ name: "report", lastRun: { startedAt: at(12, 1), endedAt: null, status: "running", exitCode: null, durationMs: null } }),
        task({ name: "prune", expectMs: 3_600_000, lastRun: { startedAt: at(10), endedAt: at(10), status: "timed-out", exitCode: null, durationMs: 60_000 }, lastSuccessAt: at(8), nextExpectedAt: at(9), overdue: true }),
        task({ name: "fresh" }),
      ],
    });
    const text = seen(renderStatus(report).text);
    expect(text).toContain("Tasks (5)");
    expect(text).toContain("✅ backup · last run 09:00, took 2m, succeeded · next by 2026-06-02 09:00");
    expect(text).toContain("❌ sync · last run 12:00, took 12s, failed (exit 3)");
    expect(text).toContain("⏳ report · running since 12:01");
    expect(text).toContain("⏱ prune · last run 10:00, took 1m, timed out · ⚠️ overdue since 09:00");
    expect(text).toContain("▫️ fresh · no run yet");
  });

  it("before the first probe, says it is waiting and marks services not probed yet", () => {
    const text = seen(renderStatus(statusReport({ measuredAt: null, host: null, services: [service({ name: "agent", state: "unknown", pids: [], cpuPercent: null, memoryBytes: null, uptimeSeconds: null })] })).text);
    expect(text).toContain("Waiting for the first probe of the host…");
    expect(text).toContain("⚪ agent · not probed yet");
    expect(text).toContain(`Heartbeat 2026-06-01 12:03`);
  });

  it("says why an endpoint or a container is down, with the deadline it did not answer within, and marks a check that has not answered yet", () => {
    const down = { state: "down" as const, downSince: new Date(2026, 5, 1, 12, 0).toISOString(), pids: [], cpuPercent: null, memoryBytes: null, uptimeSeconds: null };
    const report = statusReport({
      services: [
        service({ name: "stuck", ...down, endpoint: { responseMs: null, statusCode: null, problem: "timeout", timeoutMs: 4000, certExpiresAt: null }, checkedAt: new Date(2026, 5, 1, 12, 3).toISOString() }),
        service({ name: "web", ...down, endpoint: { responseMs: 12, statusCode: 503, problem: "status", timeoutMs: null, certExpiresAt: null }, checkedAt: new Date(2026, 5, 1, 12, 3).toISOString() }),
        service({ name: "jellyfin", ...down, container: { state: "unreachable", exitCode: null, health: null, restartCount: 0, problem: "ETIMEDOUT", timeoutMs: 5000 }, checkedAt: null }),
        service({ name: "fresh", state: "unknown", pids: [], cpuPercent: null, memoryBytes: null, uptimeSeconds: null, checkedAt: null }),
      ],
    });
    const text = seen(renderStatus(report).text);
    expect(text).toContain("🔴 stuck · down since 12:00 · no answer within 4s");
    expect(text).toContain("🔴 web · down since 12:00 · wrong status 503");
    expect(text).toContain("🔴 jellyfin · down since 12:00 · Docker did not answer within 5s");
    expect(text).toContain("⚪ fresh · not checked yet");
  });

  it("escapes every name, and shows the next rotation when rotation is configured", () => {
    const report = statusReport({ hostname: "<nas & co>", rotation: { next: new Date(2026, 6, 1, 9).toISOString() } });
    const message = renderStatus(report);
    expect(message.text).toContain("<b>Gaia · &lt;nas &amp; co&gt;</b>");
    expect(seen(message.text)).toContain("next rotation 2026-07-01 09:00");
  });

  it("pages 150 services into messages within Telegram's limits, down ones on the first page", () => {
    const services = Array.from({ length: 150 }, (_, i) =>
      service({ name: `service-${String(i).padStart(3, "0")}`, ...(i === 149 ? { state: "down" as const, pids: [], cpuPercent: null, memoryBytes: null, uptimeSeconds: null } : {}) }),
    );
    const report = statusReport({ services });
    const first = renderStatus(report);
    expect(seen(first.text)).toContain("🔴 service-149 · down");
    expect(seen(first.text)).toContain("Services and tasks: page 1 of 8.");
    expect(first.reply_markup!.inline_keyboard[0].map((b) => b.callback_data)).toEqual(["st:0", "st:1"]);
    const shown = new Set<string>();
    for (let page = 0; page < 8; page++) {
      const message = renderStatus(report, { page });
      const text = seen(message.text);
      expect(text.length).toBeLessThanOrEqual(4096);
      for (const match of text.matchAll(/service-\d{3}/g)) shown.add(match[0]);
      if (page > 0 && page < 7) expect(message.reply_markup!.inline_keyboard[0].map((b) => b.text)).toEqual(["‹ Prev", "🔄 Refresh", "Next ›"]);
    }
    expect(shown.size).toBe(150);
    // A page past the end shows the last one.
    expect(seen(renderStatus(report, { page: 99 }).text)).toContain("page 8 of 8");
  });

  it("stays within the limit in the worst case, saying what was cut", () => {
    const long = "x".repeat(32);
    const report = statusReport({
      hostname: "h".repeat(64),
      services: Array.from({ length: 150 }, (_, i) =>
        service({ name: `${long.slice(0, 28)}${String(i).padStart(4, "0")}`, pids: [4194301, 4194302, 4194303], mutedUntil: new Date(2026, 6, 1).toISOString() }),
      ),
      incidents: Array.from({ length: 40 }, (_, i) => ({ id: i, subjectKind: "service", subjectName: long, condition: "flapping", openedAt: new Date(2026, 4, 1).toISOString(), acknowledged: true, muted: true, figures: null })),
      approvals: Array.from({ length: 20 }, (_, i) => ({ id: `a${i}`, title: "<&>".repeat(70), requester: "r".repeat(200), createdAt: new Date(2026, 4, 1).toISOString(), expiresAt: new Date(2026, 6, 1).toISOString() })),
      mutes: [{ subject: "all", until: new Date(2026, 6, 1).toISOString(), mutedBy: "telegram:1" }],
      rotation: { next: new Date(2026, 6, 1).toISOString() },
    });
    for (const page of [0, 3, 7]) {
      const message = renderStatus(report, { page });
      expect(message.text.length).toBeLessThanOrEqual(4096);
      const text = seen(message.text);
      expect(text).toContain("… and 30 more (/history)");
      expect(text).toContain("… and 15 more (/approvals)");
      expect(text).toContain("all alerts muted until");
    }
  });

  it("renders everything on one page for the terminal, without buttons", () => {
    const report = statusReport({ services: Array.from({ length: 150 }, (_, i) => service({ name: `s${i}` })) });
    const message = renderStatus(report, { perPage: Infinity, limit: Infinity, buttons: false });
    expect(message.reply_markup).toBeUndefined();
    expect(message.text).toContain("s149");
    expect(message.text).not.toContain("page 1 of");
  });
});
