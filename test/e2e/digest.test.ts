/**
 * The daily digest as an admin meets it: the real `gaia start`, the fake Telegram, a digest due
 * every minute (the cron of the test) after a day with one incident: one message naming it,
 * with the service's downtime and the task runs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { monitoringHarness, NODE_NAME, type MonitoringHarness } from "./monitoring-harness.js";

describe("daily digest", () => {
  let harness: MonitoringHarness | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump());
    await harness?.cleanup();
    harness = undefined;
  });

  it("sends one message with the day's incidents and the downtime per service", async () => {
    const h = (harness = await monitoringHarness(() =>
      ["services:", "  - name: agent", `    match: { process: ${NODE_NAME}, args: e2e-digest-never }`, 'digest: "* * * * *"'].join("\n"),
    ));
    h.startGaia();
    await h.tg.waitForMessage(/agent is down/, { timeoutMs: 30_000 });
    const digest = await h.tg.waitForMessage(/Daily digest/, { timeoutMs: 90_000 });
    expect(digest.parseMode).toBe("HTML");
    expect(digest.plainText).toMatch(/Incidents \(1\)\n• agent down at \d\d:\d\d, still open/);
    expect(digest.plainText).toMatch(/Downtime\n• agent: \d+s/);
    expect(digest.plainText).toContain("Task runs: 0, 0 failed");
  }, 150_000);
});
