import { describe, expect, it } from "vitest";
import { formatBytes, formatBytesShort, formatDateTime, formatMoment, formatPercent } from "../../../bot/render/figures.js";

describe("figures in messages", () => {
  it("write sizes, percentages and moments the way people read them", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(45.2 * 1024 ** 2)).toBe("45.2 MiB");
    expect(formatBytes(200 * 1024 ** 3)).toBe("200 GiB");
    expect(formatBytesShort(980 * 1024)).toBe("980K");
    expect(formatBytesShort(1.25 * 1024 ** 3)).toBe("1.3G");
    expect(formatPercent(3.44)).toBe("3.4%");
    expect(formatPercent(37.2)).toBe("37%");
    const reference = new Date(2026, 5, 1, 12, 0);
    expect(formatMoment(new Date(2026, 5, 1, 9, 5), reference)).toBe("09:05");
    expect(formatMoment(new Date(2026, 4, 31, 23, 10), reference)).toBe("2026-05-31 23:10");
    expect(formatDateTime(new Date(2026, 0, 2, 3, 4))).toBe("2026-01-02 03:04");
  });
});
