/**
 * The monitor as an admin meets it: the real `gaia start` process, a fake Telegram and real
 * child processes. probe.every is 1 s and sustain 2, so a dead service must be reported within
 * probe.every × (sustain + 1) plus delivery: 3 s + 2 s.
 */
import { afterEach, describe, expect, it } from "vitest";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN, alertButtons, eventually, monitoringHarness, NODE_NAME, serviceRestartCommand, type MonitoringHarness } from "./monitoring-harness.js";

const DOWN_WINDOW_MS = 1000 * (2 + 1) + 2000;

describe("monitoring: services going down and coming back, thresholds, buttons", () => {
  let harness: MonitoringHarness | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump());
    await harness?.cleanup();
    harness = undefined;
  });

  it("kills the watched service and receives a down alert within the probe window, then restarts it with two taps and hears it is back up", async () => {
    const h = (harness = await monitoringHarness(({ home }) =>
      [
        "services:",
        "  - name: agent",
        `    match: { process: ${NODE_NAME}, args: e2e-agent }`,
        `    restart: ${JSON.stringify(serviceRestartCommand(home, "e2e-agent"))}`,
        "  - name: worker",
        `    match: { process: ${NODE_NAME}, args: e2e-worker }`,
      ].join("\n"),
    ));
    await h.startService("e2e-agent");
    const gaia = h.startGaia();
    const started = await h.tg.waitForMessage("Gaia started", { timeoutMs: 15_000 });
    expect(started.plainText).toContain("Watching the host and 2 services: agent, worker.");
    await eventually(async () => (await h.metric('gaia_service_up{service="agent"}')) === 1, 10_000, "agent seen up in /metrics");

    // worker never ran: it is reported down once, before the agent.
    await h.tg.waitForMessage(/worker is down/, { timeoutMs: DOWN_WINDOW_MS });

    const killedAt = Date.now();
    await h.killService("e2e-agent");
    const down = await h.tg.waitForMessage(/agent is down/, { timeoutMs: DOWN_WINDOW_MS + 1000 });
    const latency = Date.now() - killedAt;
    expect(latency).toBeLessThan(DOWN_WINDOW_MS);
    expect(down.parseMode).toBe("HTML");
    expect(down.plainText).toContain("Also down: worker");
    expect(down.plainText).toContain(`Watched by: process ${NODE_NAME} with “e2e-agent” in its command line`);
    expect(alertButtons(down, "agent").map((b) => b.label)).toEqual(["Ack", "Mute 1h", "Restart"]);
    const data = (label: string) => alertButtons(down, "agent").find((b) => b.label === label)!.data;
    const current = () => h.tg.messages(ADMIN).find((m) => m.messageId === down.messageId)!;

    // Ack: answered, and the button goes away.
    const ackData = data("Ack");
    expect(ackData).toMatch(/^inc:ack:\d+$/);
    const ack = h.tg.pressButton({ chatId: ADMIN, messageId: down.messageId, fromId: ADMIN, data: ackData });
    expect((await h.tg.waitForCallbackAnswer(ack)).text).toBe("Acknowledged: no more reminders for this incident.");
    await eventually(() => alertButtons(current(), "agent").length === 2, 5000, "Ack button removed");

    // Restart asks for a second tap; the second tap runs the command once.
    const restartData = data("Restart");
    const first = h.tg.pressButton({ chatId: ADMIN, messageId: down.messageId, fromId: ADMIN, data: restartData });
    expect((await h.tg.waitForCallbackAnswer(first)).text).toContain("Confirm restart");
    await eventually(() => current().buttons.some((b) => b.text === "⚠️ Confirm restart agent"), 5000, "confirm button shown");
    const confirmData = current().buttons.find((b) => b.text === "⚠️ Confirm restart agent")!.callbackData!;
    const second = h.tg.pressButton({ chatId: ADMIN, messageId: down.messageId, fromId: ADMIN, data: confirmData });
    expect((await h.tg.waitForCallbackAnswer(second)).text).toBe("Restarting agent…");

    const result = await h.tg.waitForMessage(/Restarted agent: exit code 0/, { timeoutMs: 10_000 });
    expect(result.plainText).toContain(`Requested by telegram:${ADMIN}`);
    const back = await h.tg.waitForMessage(/agent is back up/, { timeoutMs: 5000 });
    expect(back.plainText).toMatch(/agent is back up after \d+s down/);
    expect(alertButtons(back, "agent")).toEqual([]);

    // A button of the old alert, pressed now, gets a polite answer and does nothing.
    const muteData = data("Mute 1h");
    const stale = h.tg.pressButton({ chatId: ADMIN, messageId: down.messageId, fromId: ADMIN, data: muteData });
    expect((await h.tg.waitForCallbackAnswer(stale)).text).toBe("This incident is already resolved.");

    // Counted for Prometheus too.
    expect(await h.metric('gaia_alerts_total{subject_kind="service",condition="down",change="opened"}')).toBe(2);
    expect(await h.metric('gaia_alerts_total{subject_kind="service",condition="down",change="resolved"}')).toBe(1);
    expect(await h.metric('gaia_alert_deliveries_total{outcome="delivered"}')).toBeGreaterThanOrEqual(4);

    // One alert per change, and Telegram refused nothing.
    expect(h.sent(/agent is down/)).toHaveLength(1);
    expect(h.sent(/agent is back up/)).toHaveLength(1);
    expect(h.tg.rejections).toEqual([]);
    expect(h.tg.markdownCalls).toEqual([]);
    await gaia.stop();
  });

  it("reports a CPU-burning service at or above its threshold in % of one core, and its clearing", async () => {
    const h = (harness = await monitoringHarness(() =>
      ["services:", "  - name: burner", `    match: { process: ${NODE_NAME}, args: e2e-burner }`, "    cpu: 50"].join("\n"),
    ));
    const flag = join(h.home, "burn.flag");
    writeFileSync(flag, "");
    await h.startService("e2e-burner", flag);
    h.startGaia();
    const high = await h.tg.waitForMessage(/burner CPU at/, { timeoutMs: 15_000 });
    expect(high.plainText).toMatch(/🟠 burner CPU at \d+% of one core \(threshold 50%\)/);
    expect(alertButtons(high, "burner").map((b) => b.label)).toEqual(["Ack", "Mute 1h"]);

    rmSync(flag);
    const normal = await h.tg.waitForMessage(/burner CPU back to normal/, { timeoutMs: 10_000 });
    expect(normal.plainText).toMatch(/🟢 burner CPU back to normal: \d+% of one core \(threshold 50%\), after \d+s/);
    expect(h.sent(/burner CPU at/)).toHaveLength(1);
    expect(h.sent(/burner is down/)).toHaveLength(0);
    expect(h.tg.rejections).toEqual([]);
  });

  it("stays quiet about a muted service, records it, and speaks again after /unmute", async () => {
    const h = (harness = await monitoringHarness(() =>
      ["services:", "  - name: agent", `    match: { process: ${NODE_NAME}, args: e2e-muted }`, "alerts:", "  remind: 2s"].join("\n"),
    ));
    await h.startService("e2e-muted");
    h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 15_000 });
    await h.tg.waitForPoll();
    h.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/mute agent 10m" });
    const muted = await h.tg.waitForMessage(/agent is muted for 10m/, { timeoutMs: 5000 });
    expect(muted.plainText).toContain("Incidents are still recorded");

    await h.killService("e2e-muted");
    await new Promise((resolve) => setTimeout(resolve, DOWN_WINDOW_MS));
    expect(h.sent(/agent is (still )?down/)).toHaveLength(0);
    expect(h.query("SELECT key, status, muted FROM incidents WHERE subjectKind = 'service'")).toEqual([{ key: "service:agent:down", status: "open", muted: 1 }]);

    h.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/unmute agent" });
    await h.tg.waitForMessage(/Unmuted agent/, { timeoutMs: 5000 });
    // The incident is still open: its reminder, no longer muted, now reaches the chat.
    const reminder = await h.tg.waitForMessage(/agent is still down after/, { timeoutMs: 5000 });
    const ack = h.tg.pressButton({ chatId: ADMIN, messageId: reminder.messageId, fromId: ADMIN, data: alertButtons(reminder, "agent")[0].data });
    await h.tg.waitForCallbackAnswer(ack);
    // Acknowledged: no more reminders.
    const count = h.sent(/still down/).length;
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(h.sent(/still down/)).toHaveLength(count);
    expect(h.tg.rejections).toEqual([]);
  });
});
