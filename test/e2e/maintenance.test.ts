/**
 * A maintenance window as an admin meets it: the real `gaia start` and the fake Telegram. The
 * window is the next whole minute (cron for that minute, for: 1m): a service down during it is
 * recorded but not alerted, /status shows the window, and at its end the still-open incident is
 * announced; both ends are in the audit trail.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN, eventually, monitoringHarness, NODE_NAME, type MonitoringHarness } from "./monitoring-harness.js";

describe("maintenance windows", () => {
  let harness: MonitoringHarness | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump());
    await harness?.cleanup();
    harness = undefined;
  });

  it("silences a service that goes down during the window, shows the window in /status, and announces the incident still open at its end", async () => {
    // The next minute that leaves at least 40 s of window once gaia runs.
    const now = new Date();
    const start = new Date(now);
    start.setSeconds(0, 0);
    start.setMinutes(start.getMinutes() + 1);
    const h = (harness = await monitoringHarness(() =>
      [
        "services:",
        "  - name: agent",
        `    match: { process: ${NODE_NAME}, args: e2e-never-started }`,
        "maintenance:",
        `  - { cron: "${start.getMinutes()} ${start.getHours()} * * *", for: 1m, services: [agent] }`,
      ].join("\n"),
    ));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start.getTime() - Date.now() + 200)));
    h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });

    // Down during the window: recorded, not sent.
    await eventually(() => h.query<{ key: string }>("SELECT key FROM incidents WHERE key = 'service:agent:down'").length === 1, 20_000, "down incident recorded");
    const waiting = h.tg.waitForMessage(/^Gaia · /, { chatId: ADMIN, newOnly: true, timeoutMs: 15_000 });
    h.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/status" });
    expect((await waiting).plainText).toMatch(/🔧 Maintenance until .*: agent \(alerts silenced\)/);
    expect(h.sent(/agent is down/)).toEqual([]);
    const listing = h.tg.waitForMessage(/Muted now/, { chatId: ADMIN, newOnly: true, timeoutMs: 15_000 });
    h.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/mute" });
    expect((await listing).plainText).toMatch(/🔧 maintenance: agent until \d\d:\d\d/);

    // The window ends with agent still down: announced once.
    const ended = await h.tg.waitForMessage(/Maintenance ended/, { timeoutMs: 90_000 });
    expect(ended.plainText).toMatch(/Maintenance ended \(\d\d:\d\d–\d\d:\d\d, agent\), still open:\n🔴 agent down since/);
    const audit = h.query<{ kind: string }>("SELECT kind FROM events WHERE kind LIKE 'maintenance.%' ORDER BY id").map((r) => r.kind);
    expect(audit).toEqual(["maintenance.started", "maintenance.ended"]);
  }, 180_000);
});
