import { describe, expect, it } from "vitest";
import { PendingConfirmations } from "../../bot/pending-confirmations.js";

describe("Restart taps waiting for their confirmation", () => {
  it("are confirmed within the window and expired after it", () => {
    const pending = new PendingConfirmations<string>(60_000);
    pending.add(1, "Restart agent", 0);
    pending.add(2, "Restart db", 0);
    expect(pending.take(1, 59_000)).toEqual({ value: "Restart agent", expired: false });
    expect(pending.take(1, 59_000)).toBeUndefined();
    expect(pending.take(2, 61_000)).toEqual({ value: "Restart db", expired: true });
  });

  it("never confirmed, do not pile up over weeks: expired ones are pruned and at most `max` are kept", () => {
    const pending = new PendingConfirmations<string>(60_000, 50);
    // Three weeks of a tap every ten minutes, none confirmed.
    for (let i = 0; i < 3 * 7 * 24 * 6; i++) pending.add(i, "Restart", i * 600_000);
    expect(pending.size).toBe(1);
    // A burst of taps inside one window is capped, the newest kept.
    for (let i = 0; i < 500; i++) pending.add(10_000 + i, "Restart", 10_000_000_000);
    expect(pending.size).toBe(50);
    expect(pending.take(10_499, 10_000_000_000)?.expired).toBe(false);
    expect(pending.take(10_000, 10_000_000_000)).toBeUndefined();
  });
});
