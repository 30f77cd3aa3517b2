import { describe, expect, it } from "vitest";
import { sparkline } from "../../../bot/render/sparkline.js";

describe("sparklines", () => {
  it("scale from 0 to 100, so a quiet host looks quiet and a busy one full", () => {
    expect(sparkline([0, 3, 50, 93, 100])).toBe("▁▁▅██");
    expect(sparkline([3, 3, 3])).toBe("▁▁▁");
  });

  it("show a gap as a space and clamp values out of range", () => {
    expect(sparkline([null, -5, 250, Number.NaN])).toBe(" ▁█ ");
    expect(sparkline([])).toBe("");
  });
});
