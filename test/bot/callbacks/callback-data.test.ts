import { describe, expect, it } from "vitest";
import {
  historyButton,
  parseHistoryButton,
  parseStatusButton,
  parseTopButton,
  statusButton,
  topButton,
} from "../../../bot/callbacks/callback-data.js";

describe("the buttons' callback data", () => {
  it("fits Telegram's 64 bytes in the longest case and reads back what it wrote", () => {
    const longest = historyButton(99_999, "a".repeat(32));
    expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(64);
    expect(parseHistoryButton(longest)).toEqual({ page: 9999, subject: "a".repeat(32) });
    expect(parseHistoryButton(historyButton(2, null))).toEqual({ page: 2, subject: null });
    expect(parseStatusButton(statusButton(3))).toBe(3);
    expect(parseStatusButton(statusButton(-4))).toBe(0);
    expect(parseTopButton(topButton("memory"))).toBe("memory");
    expect(parseTopButton(topButton("cpu"))).toBe("cpu");
  });

  it("rejects data it did not write", () => {
    for (const data of ["st:", "st:-1", "st:1:2", "st:12345", "top:disk", "top:cpu ", "hi:1", "hi:x:agent", "hi:1:Agent", "hi:1:../etc", `hi:1:${"a".repeat(33)}`, "approve:1"]) {
      expect([parseStatusButton(data), parseTopButton(data), parseHistoryButton(data)]).toEqual([undefined, undefined, undefined]);
    }
    expect(() => historyButton(0, "Not A Name")).toThrow();
  });
});
