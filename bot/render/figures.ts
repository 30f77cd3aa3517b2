/**
 * How figures read in chat messages: sizes, percentages, clock times and dates. Dates use the
 * host's local time zone, the one its admin lives with (cron, logs and `date` use it too).
 */

const SIZE_STEPS = [
  { unit: "TB", bytes: 1024 ** 4 },
  { unit: "GB", bytes: 1024 ** 3 },
  { unit: "MB", bytes: 1024 ** 2 },
  { unit: "KB", bytes: 1024 },
];

/** A byte count the way people read it: `512 B`, `45.2 MB`, `7.8 GB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  for (const { unit, bytes: size } of SIZE_STEPS) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`;
    }
  }
  return `${Math.max(0, Math.round(bytes))} B`;
}

/** A byte count in at most 5 characters for table columns: `980K`, `45.2M`, `1.2G`. */
export function formatBytesShort(bytes: number): string {
  for (const { unit, bytes: size } of SIZE_STEPS) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)}${unit[0]}`;
    }
  }
  return `${Math.max(0, Math.round(bytes))}B`;
}

/** A percentage with one decimal below 10 (`3.4%`) and none above (`37%`). */
export function formatPercent(value: number): string {
  return `${value < 9.95 ? value.toFixed(1) : value.toFixed(0)}%`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** `12:03` in local time. */
export function formatClock(date: Date): string {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

/** `12:03:15` in local time. */
export function formatClockSeconds(date: Date): string {
  return `${formatClock(date)}:${pad2(date.getSeconds())}`;
}

/** `2026-06-01` in local time. */
export function formatDay(date: Date): string {
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
}

/** `2026-06-01 12:03` in local time. */
export function formatDateTime(date: Date): string {
  return `${formatDay(date)} ${formatClock(date)}`;
}

/**
 * A moment relative to a reference moment: only the clock when it is the same day
 * (`12:03`), the date too otherwise (`2026-05-30 23:10`).
 */
export function formatMoment(date: Date, reference: Date): string {
  return formatDay(date) === formatDay(reference) ? formatClock(date) : formatDateTime(date);
}
