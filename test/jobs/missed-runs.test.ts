import { describe, expect, it } from "vitest";
import { missedRunCheckEvery } from "../../jobs/missed-runs.js";

describe("how often the tasks are checked", () => {
  it.each([
    { name: "no expect, no reminders: every 30 s", tasks: [{ name: "a" }], remindMs: 0, every: 30_000 },
    { name: "reminders every hour: every 30 s", tasks: [{ name: "a" }], remindMs: 3_600_000, every: 30_000 },
    { name: "expect 1d: every 30 s", tasks: [{ name: "a", expectMs: 86_400_000, graceMs: 8_640_000 }], remindMs: 0, every: 30_000 },
    { name: "expect 2m + 10s: every 13 s", tasks: [{ name: "a", expectMs: 120_000, graceMs: 10_000 }], remindMs: 0, every: 13_000 },
    { name: "expect 10s + 1s: every second", tasks: [{ name: "a" }, { name: "b", expectMs: 10_000, graceMs: 1_000 }], remindMs: 0, every: 1_000 },
    { name: "remind 3s: every second, never faster", tasks: [{ name: "a" }], remindMs: 3_000, every: 1_000 },
  ])("$name", ({ tasks, remindMs, every }) => {
    expect(missedRunCheckEvery(tasks, remindMs)).toBe(every);
  });
});
