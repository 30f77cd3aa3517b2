const BARS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/**
 * A one-line chart of percentages, one bar per value, scaled from 0 to 100 (not from the
 * minimum to the maximum, so that a flat 3% line does not look like a crisis). A gap in the
 * data (null) is a space.
 */
export function sparkline(values: readonly (number | null)[]): string {
  return values
    .map((value) => {
      if (value === null || !Number.isFinite(value)) return " ";
      const clamped = Math.min(100, Math.max(0, value));
      return BARS[Math.round((clamped / 100) * (BARS.length - 1))];
    })
    .join("");
}

