/**
 * What the outbox promises, end to end: a storm of alerts is split so that every item is named
 * and keeps its buttons, and a send cut short by kill -9 is sent again, marked as a possible
 * repeat (at least once, repeats marked). The real `gaia start`, a fake Telegram, real processes.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN, alertButtons, eventually, monitoringHarness, NODE_NAME, type MonitoringHarness } from "./monitoring-harness.js";

const DOWN_WINDOW_MS = 1000 * (2 + 1) + 10_000;

describe("delivery guarantees", () => {
  let harness: MonitoringHarness | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump());
    await harness?.cleanup();
    harness = undefined;
  });

  it("names each of 40 services with long names that go down at once, with its own buttons, in messages within Telegram's limits", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `storage-replication-worker-${String(i).padStart(2, "0")}`);
    const h = (harness = await monitoringHarness(() => ["services:", ...names.map((name) => `  - name: ${name}\n    match: { pidfile: ${name}.pid }`)].join("\n")));
    // One process stands for all 40 services (each pidfile names it): killing it takes them all down in one probe.
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const stopHolder = () => holder.kill("SIGKILL");
    try {
      for (const name of names) writeFileSync(join(h.home, `${name}.pid`), String(holder.pid));
      h.startGaia();
      await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
      await eventually(async () => (await h.metric(`gaia_service_up{service="${names[39]}"}`)) === 1, 15_000, "the services seen up");
      stopHolder();

      await eventually(() => names.every((name) => h.sent(new RegExp(`${name} is down`)).length > 0), DOWN_WINDOW_MS + 20_000, "every service named in a down alert");
      const downMessages = h.sent(/is down/);
      for (const message of downMessages) {
        expect(message.plainText.length).toBeLessThanOrEqual(4096);
        expect(message.plainText).not.toContain("did not fit");
        // "Also down" no longer lists 39 names in each of 40 items.
        for (const line of message.plainText.split("\n").filter((l) => l.startsWith("Also down:"))) expect(line.split(",").length).toBeLessThanOrEqual(5);
      }
      // Every incident's buttons are on the message that names it.
      for (const name of names) {
        const message = downMessages.find((m) => m.plainText.includes(`${name} is down`))!;
        // Labelled "Ack NAME" in a group, "Ack" on an alert that went alone.
        expect(alertButtons(message, name).map((b) => b.label)).toContain("Ack");
      }
      // And every row the messages settled was in them: none is left pending, none marked sent unseen.
      await eventually(() => h.query<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE status = 'pending'")[0].n === 0, 10_000, "the outbox drained");
      expect(h.tg.rejections).toEqual([]);
    } finally {
      stopHolder();
    }
  }, 120_000);

  it("sends an alert again after kill -9 while Telegram's answer to it was on its way, marked as a possible repeat", async () => {
    const h = (harness = await monitoringHarness(() => ["services:", "  - name: agent", `    match: { process: ${NODE_NAME}, args: e2e-kill9 }`].join("\n")));
    await h.startService("e2e-kill9");
    const first = h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await eventually(async () => (await h.metric('gaia_service_up{service="agent"}')) === 1, 15_000, "agent seen up");

    // Telegram carries the next message out, but its answer never arrives.
    h.tg.failNext("sendMessage", 1, { hang: true, carryOut: true, textMatching: /agent is down/ });
    await h.killService("e2e-kill9");
    await h.tg.waitForCall("sendMessage", (call) => call.injected && call.status === 0, DOWN_WINDOW_MS);
    expect(h.sent(/agent is down/)).toHaveLength(1);
    // The attempt was recorded before the call: the row says a send is under way.
    const [row] = h.query<{ status: string; attemptStartedAt: string | null }>("SELECT status, attemptStartedAt FROM outbox WHERE kind = 'alert' AND payload LIKE '%\"subject\":\"agent\"%'");
    expect(row.status).toBe("pending");
    expect(row.attemptStartedAt).not.toBeNull();
    expect(await first.stop("SIGKILL")).toBe(137);

    h.startGaia();
    const repeat = await h.tg.waitForMessage((m) => m.plainText.includes("agent is down") && m.plainText.includes("Possibly a repeat"), { timeoutMs: 30_000 });
    expect(repeat.plainText).toMatch(/^↩️ Possibly a repeat: gaia was stopped or lost the connection while sending this/);
    const copies = h.sent(/agent is down/);
    expect(copies).toHaveLength(2);
    expect(copies[0].plainText).not.toContain("Possibly a repeat");
    await eventually(() => h.query<{ status: string }>("SELECT status FROM outbox WHERE kind = 'alert' AND payload LIKE '%\"subject\":\"agent\"%'")[0].status === "delivered", 10_000, "the row settled");
    expect(h.tg.rejections).toEqual([]);
  }, 120_000);

  it("does not send a recovery alone when the service's down alert was muted before it could go out", async () => {
    const h = (harness = await monitoringHarness(() => ["services:", "  - name: agent", `    match: { process: ${NODE_NAME}, args: e2e-unsent }`].join("\n")));
    await h.startService("e2e-unsent");
    h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await eventually(async () => (await h.metric('gaia_service_up{service="agent"}')) === 1, 15_000, "agent seen up");

    // The down alert cannot get through for a while; meanwhile the admin mutes the service.
    h.tg.failNext("sendMessage", 6, { status: 502, textMatching: /agent is down/ });
    await h.killService("e2e-unsent");
    await h.tg.waitForCall("sendMessage", (call) => call.injected && call.status === 502, DOWN_WINDOW_MS);
    h.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/mute agent 15s" });
    await h.tg.waitForMessage(/agent is muted for/, { timeoutMs: 15_000 });
    const agentRows = () =>
      h.query<{ status: string; payload: string }>("SELECT status, payload FROM outbox WHERE kind = 'alert' ORDER BY id").filter((r) => JSON.parse(r.payload).subject === "agent");
    await eventually(() => agentRows()[0]?.status === "muted", 30_000, "the down alert settled as muted");

    // The mute ends, then it comes back: nobody in the chat heard it was down, so "back up" would
    // be news about nothing (a recovery while still muted is not queued at all).
    await eventually(() => h.query<{ n: number }>("SELECT count(*) AS n FROM mutes WHERE until > datetime('now')")[0].n === 0, 30_000, "the mute ended");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await h.startService("e2e-unsent");
    await eventually(() => agentRows().length === 2 && agentRows()[1].status !== "pending", DOWN_WINDOW_MS + 10_000, "the recovery settled");
    expect(agentRows().map((r) => [JSON.parse(r.payload).change, r.status])).toEqual([
      ["opened", "muted"],
      ["resolved", "muted"],
    ]);
    expect(h.sent(/agent is (down|back up)|agent was down/)).toEqual([]);
    expect(h.tg.rejections).toEqual([]);
  }, 120_000);
});
