/**
 * How figures read in chat messages and on the terminal: sizes, percentages, clock times and dates.
 * One time-zone rule: every time is in the host's local zone, the one its admin lives with (cron,
 * logs and `date` use it too); where a reader could doubt which zone (approval requests, read by
 * people on other hosts), the zone is named (`formatZonedDateTime`).
 */

/** Sizes are in powers of 1024 everywhere gaia shows one (alerts, /status, /top), named as such. */
const SIZE_STEPS = [
  { unit: "TiB", bytes: 1024 ** 4 },
  { unit: "GiB", bytes: 1024 ** 3 },
  { unit: "MiB", bytes: 1024 ** 2 },
  { unit: "KiB", bytes: 1024 },
];

/** The one byte formatter: `512 B`, `45.2 MiB`, `7.8 GiB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  for (const { unit, bytes: size } of SIZE_STEPS) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`;
    }
  }
  return `${Math.max(0, Math.round(bytes))} B`;
}

/** The same figure in at most 5 characters for table columns: `980K`, `45.2M`, `1.2G` (powers of 1024). */
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

/** `2026-06-01 12:03:15 CET`: local time with its zone named, for messages read far from the host. */
export function formatZonedDateTime(date: Date): string {
  return `${formatDay(date)} ${formatClockSeconds(date)} ${zoneName(date)}`;
}

function zoneName(date: Date): string {
  return new Intl.DateTimeFormat("en-GB", { timeZoneName: "short" }).formatToParts(date).find((part) => part.type === "timeZoneName")?.value ?? "";
}

/**
 * A moment relative to a reference moment: only the clock when it is the same day
 * (`12:03`), the date too otherwise (`2026-05-30 23:10`).
 */
export function formatMoment(date: Date, reference: Date): string {
  return formatDay(date) === formatDay(reference) ? formatClock(date) : formatDateTime(date);
}
