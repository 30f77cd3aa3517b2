import { describe, expect, it } from "vitest";
import { cronMatcher, openMaintenance } from "../../monitor/maintenance-windows.js";

/** A local time (cron reads the host's local time). */
const at = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => new Date(y, mo - 1, d, h, mi, s);

describe("cron expressions of maintenance windows", () => {
  it.each([
    ["0 3 * * 0", at(2026, 3, 1, 3, 0), true], // a Sunday
    ["0 3 * * 0", at(2026, 3, 2, 3, 0), false],
    ["0 3 * * 7", at(2026, 3, 1, 3, 0), true],
    ["0 3 * * sun", at(2026, 3, 1, 3, 0), true],
    ["*/15 * * * *", at(2026, 3, 2, 10, 45), true],
    ["*/15 * * * *", at(2026, 3, 2, 10, 46), false],
    ["30 2 1 * mon", at(2026, 6, 1, 2, 30), true], // the 1st (a Monday too)
    ["30 2 1 * mon", at(2026, 6, 8, 2, 30), true], // a Monday: either day field matches
    ["30 2 1 * mon", at(2026, 6, 9, 2, 30), false],
    ["0 0 * jan-mar *", at(2026, 2, 10, 0, 0), true],
    ["0 0 * jan-mar *", at(2026, 4, 10, 0, 0), false],
  ])("%s at %s: %s", (cron, when, expected) => {
    expect(cronMatcher(cron)!(when)).toBe(expected);
  });

  it("refuses what is not a 5-field expression", () => {
    expect(cronMatcher("0 3 * *")).toBeUndefined();
    expect(cronMatcher("61 3 * * *")).toBeUndefined();
    expect(cronMatcher("*/0 * * * *")).toBeUndefined();
  });
});

describe("open maintenance windows", () => {
  const windows = [{ cron: "0 3 * * 0", forMs: 2 * 3_600_000, services: ["agent"] }];
  it("is open from each start for its length, and closed outside", () => {
    expect(openMaintenance(windows, at(2026, 3, 1, 2, 59, 59))).toEqual([]);
    const open = openMaintenance(windows, at(2026, 3, 1, 3, 0));
    expect(open).toEqual([{ key: `0@${at(2026, 3, 1, 3, 0).toISOString()}`, services: ["agent"], startedAt: at(2026, 3, 1, 3, 0), until: at(2026, 3, 1, 5, 0) }]);
    expect(openMaintenance(windows, at(2026, 3, 1, 4, 59, 59))).toHaveLength(1);
    expect(openMaintenance(windows, at(2026, 3, 1, 5, 0))).toEqual([]);
  });
});
