import { describe, expect, it } from "vitest";
import { startReport, type StartReport } from "../../alerts/start-notice.js";
import { renderStartNotice } from "../../bot/render/start-notice.js";

const NOW = new Date("2025-06-01T12:00:00.000Z");
const BOOT = new Date("2025-05-20T08:00:00.000Z");

/** The notice's lines under its title, as the chat shows them (the facts worded by bot/render). */
function linesOf(report: StartReport): string[] {
  return renderStartNotice(report.notice.start!).split("\n").slice(1);
}

describe("the 'Gaia started' notice", () => {
  it("on a first start says so and lists what is watched", () => {
    const report = startReport({ now: NOW, heartbeatEveryMs: 60_000, bootTime: BOOT, services: ["agent", "db"] });
    expect(report.notice.title).toBe("Gaia started");
    expect(linesOf(report)).toEqual(["First start with this gaia.db.", "Watching the host and 2 services: agent, db."]);
    expect(report.hostRebooted).toBe(false);
    expect(report.monitorDown).toBeUndefined();
  });

  it("after a quick restart (last beat within two periods) says nothing of downtime", () => {
    const report = startReport({ now: NOW, lastBeat: new Date(NOW.getTime() - 110_000), heartbeatEveryMs: 60_000, previousBootTime: BOOT, bootTime: BOOT, services: [] });
    expect(linesOf(report)).toEqual(["Watching the host; no services are configured in gaia.yml."]);
    expect(report.monitorDown).toBeUndefined();
  });

  it("says the monitor itself was down, from when to when, once the last beat is older than two periods", () => {
    const lastBeat = new Date(NOW.getTime() - 125 * 60_000);
    const report = startReport({ now: NOW, lastBeat, heartbeatEveryMs: 60_000, previousBootTime: BOOT, bootTime: BOOT, services: ["agent"] });
    expect(report.monitorDown).toEqual({ from: lastBeat, to: NOW });
    expect(linesOf(report)[0]).toMatch(/^The monitor itself was down from \d{4}-\d\d-\d\d \d\d:\d\d to \d{4}-\d\d-\d\d \d\d:\d\d \(2h 5m\): nothing was watched meanwhile\.$/);
  });

  it("tells a reboot of the host from the wobble of a boot time computed from uptime", () => {
    const wobble = startReport({ now: NOW, lastBeat: NOW, heartbeatEveryMs: 60_000, previousBootTime: BOOT, bootTime: new Date(BOOT.getTime() + 2000), services: [] });
    expect(wobble.hostRebooted).toBe(false);
    const rebooted = startReport({
      now: NOW,
      lastBeat: new Date(NOW.getTime() - 10 * 60_000),
      heartbeatEveryMs: 60_000,
      previousBootTime: BOOT,
      bootTime: new Date(NOW.getTime() - 5 * 60_000),
      services: [],
    });
    expect(rebooted.hostRebooted).toBe(true);
    expect(linesOf(rebooted)[0]).toMatch(/^The host rebooted at \d{4}-\d\d-\d\d \d\d:\d\d\.$/);
    expect(linesOf(rebooted)[1]).toMatch(/^The monitor itself was down from/);
  });
});
