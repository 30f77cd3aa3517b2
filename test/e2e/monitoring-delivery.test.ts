/**
 * Alerts are never lost and never spam: a Telegram outage, a 429 and a restart of the monitor
 * each still give exactly one alert per change. The real `gaia start`, a fake Telegram, real
 * child processes; probe.every 1 s, sustain 2.
 */
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ADMIN, alertButtons, eventually, monitoringHarness, NODE_NAME, type MonitoringHarness } from "./monitoring-harness.js";

const DOWN_WINDOW_MS = 1000 * (2 + 1) + 2000;
const service = (marker: string) => ["services:", "  - name: agent", `    match: { process: ${NODE_NAME}, args: ${marker} }`].join("\n");

describe("monitoring: delivery through outages, rate limits and restarts", () => {
  let harness: MonitoringHarness | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump());
    await harness?.cleanup();
    harness = undefined;
  });

  it("keeps a down alert through a 20-second Telegram outage and sends it exactly once when Telegram is back", async () => {
    const h = (harness = await monitoringHarness(() => service("e2e-outage")));
    await h.startService("e2e-outage");
    h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 15_000 });
    await eventually(async () => (await h.metric('gaia_service_up{service="agent"}')) === 1, 10_000, "agent seen up");

    h.tg.setOutage(true);
    const outageStart = Date.now();
    await h.killService("e2e-outage");
    // The incident is recorded at once, while the alert waits in the outbox.
    const pendingAgentAlerts = () =>
      h.query<{ payload: string }>("SELECT payload FROM outbox WHERE status = 'pending' AND kind = 'alert'").filter((r) => JSON.parse(r.payload).subject === "agent").length;
    await eventually(() => pendingAgentAlerts() === 1, DOWN_WINDOW_MS, "the down alert waiting in the outbox");
    await new Promise((resolve) => setTimeout(resolve, 20_000 - (Date.now() - outageStart)));
    expect(h.sent(/agent is down/)).toHaveLength(0);
    expect(h.tg.calls.filter((c) => c.method === "sendMessage" && c.injected).length).toBeGreaterThan(1);

    h.tg.setOutage(false);
    const back = Date.now();
    const down = await h.tg.waitForMessage(/agent is down/, { timeoutMs: 8000 });
    // Backoff is capped so that delivery resumes within seconds of Telegram's return.
    expect(Date.now() - back).toBeLessThan(7000);
    expect(down.plainText).toContain("held back: Telegram could not be reached from");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(h.sent(/agent is down/)).toHaveLength(1);
    expect(await h.metric("gaia_outbox_pending")).toBe(0);
    // Polling resumed too: a command is answered.
    h.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/mute" });
    await h.tg.waitForMessage(/Nothing is muted/, { timeoutMs: 8000 });
    expect(h.tg.rejections).toEqual([]);
  });

  it("waits out a 429 retry_after and then delivers the alert, once", async () => {
    const h = (harness = await monitoringHarness(() => service("e2e-429")));
    await h.startService("e2e-429");
    h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 15_000 });
    await eventually(async () => (await h.metric('gaia_service_up{service="agent"}')) === 1, 10_000, "agent seen up");

    h.tg.rateLimitNext("sendMessage", 3);
    await h.killService("e2e-429");
    const limited = await h.tg.waitForCall("sendMessage", (c) => c.status === 429, DOWN_WINDOW_MS);
    const down = await h.tg.waitForMessage(/agent is down/, { timeoutMs: 10_000 });
    // Nothing was sent before retry_after ran out.
    const sentAfter = h.tg.calls.filter((c) => c.method === "sendMessage" && c.ok && c.at > limited.at);
    expect(sentAfter.length).toBeGreaterThan(0);
    for (const call of sentAfter) expect(call.at - limited.at).toBeGreaterThanOrEqual(3000);
    expect(alertButtons(down, "agent").map((b) => b.label)).toEqual(["Ack", "Mute 1h"]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(h.sent(/agent is down/)).toHaveLength(1);
    expect(h.tg.rejections).toEqual([]);
  });

  it("does not announce an open incident again after a restart, and announces a recovery that happened while it was stopped", async () => {
    const h = (harness = await monitoringHarness(() => `${service("e2e-restart")}\nheartbeat:\n  every: 10s`));
    await h.startService("e2e-restart");
    const first = h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 15_000 });
    await eventually(async () => (await h.metric('gaia_service_up{service="agent"}')) === 1, 10_000, "agent seen up");
    await h.killService("e2e-restart");
    await h.tg.waitForMessage(/agent is down/, { timeoutMs: DOWN_WINDOW_MS });
    expect(await first.stop("SIGTERM")).toBe(0);

    // Still down across a restart: no second alert.
    const second = h.startGaia();
    await h.tg.waitForMessage((m) => m.plainText.includes("Gaia started") && h.sent(/Gaia started/).length === 2, { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, DOWN_WINDOW_MS));
    expect(h.sent(/agent is down/)).toHaveLength(1);
    expect(await second.stop("SIGTERM")).toBe(0);

    // Came back while gaia was stopped: announced on the next start, which also says that the
    // monitor itself was away for longer than two heartbeats.
    // Stopped for longer than two heartbeats (2 × 10 s, the shortest heartbeat.every): moved back
    // in gaia.db rather than waited for.
    await h.startService("e2e-restart");
    const db = new Database(join(h.home, "gaia.db"));
    db.prepare("UPDATE state SET value = ? WHERE key = 'heartbeat.last'").run(JSON.stringify(new Date(Date.now() - 25_000).toISOString()));
    db.close();
    h.startGaia();
    const notice = await h.tg.waitForMessage(/The monitor itself was down from/, { timeoutMs: 15_000 });
    expect(notice.plainText).toMatch(/The monitor itself was down from \d{4}-\d\d-\d\d \d\d:\d\d to \d{4}-\d\d-\d\d \d\d:\d\d \((2[5-9]|[3-9]\d)s\): nothing was watched meanwhile\./);
    const back = await h.tg.waitForMessage(/agent is back up/, { timeoutMs: 15_000 });
    expect(back.plainText).toMatch(/back up after \d+s down/);
    expect(h.sent(/agent is down/)).toHaveLength(1);

    // Only the service's rows: a saturated CI machine may open host incidents of its own.
    expect(h.query("SELECT key, status FROM incidents WHERE subjectKind = 'service' ORDER BY id")).toEqual([{ key: "service:agent:down", status: "resolved" }]);
    expect(h.query<{ kind: string }>("SELECT kind FROM events WHERE kind LIKE 'service.%' ORDER BY id").map((r) => r.kind)).toEqual(["service.down", "service.down.resolved"]);
    expect(h.tg.rejections).toEqual([]);
  });
});
