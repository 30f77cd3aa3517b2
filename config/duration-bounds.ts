/**
 * The bounds of every duration in `gaia.yml` (README "Durations and their bounds"). A duration
 * outside them is refused with its line: too short and gaia would spam (a reminder every probe,
 * a dead man's switch pinged every second), too long and a Node timer would overflow (above
 * 2^31-1 ms, about 24.8 days, Node fires it after 1 ms) or a date would leave the calendar.
 */
import { formatDuration } from "./durations.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The longest delay a Node timer takes as given (2^31-1 ms); anything longer fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DurationBound {
  /** Shortest accepted value in ms (0 where `0` means "never"). */
  minMs: number;
  maxMs: number;
  /** Whether `0` is accepted besides the range (it means "never"). */
  zeroMeansNever?: boolean;
}

/** Key path (with `[]` for list items) → its bounds. */
export const DURATION_BOUNDS = {
  "probe.every": { minMs: SECOND, maxMs: HOUR },
  "heartbeat.every": { minMs: 10 * SECOND, maxMs: DAY },
  // Also at least probe.every (a cross-check): a reminder cannot know more than the last probe.
  "alerts.remind": { minMs: SECOND, maxMs: 30 * DAY, zeroMeansNever: true },
  "approvals.timeout": { minMs: SECOND, maxMs: 7 * DAY },
  // An endpoint check's deadline: the probe waits for the slowest, so it stays well under a cycle.
  "services[].match.timeout": { minMs: SECOND, maxMs: 30 * SECOND },
  // Scanned back minute by minute each probe, so a day at most.
  "maintenance[].for": { minMs: MINUTE, maxMs: DAY },
  "tasks[].expect": { minMs: SECOND, maxMs: 366 * DAY },
  "tasks[].grace": { minMs: 0, maxMs: 366 * DAY },
  "tasks[].timeout": { minMs: SECOND, maxMs: 7 * DAY },
  "retention.events": { minMs: HOUR, maxMs: 3650 * DAY },
  "retention.samples": { minMs: HOUR, maxMs: 3650 * DAY },
  // Checked hourly against the newest copy's time: no timer ever runs this long.
  "backup.every": { minMs: HOUR, maxMs: 30 * DAY, zeroMeansNever: true },
} as const satisfies Record<string, DurationBound>;

export type BoundedDurationKey = keyof typeof DURATION_BOUNDS;

/** The problem with `ms` for `key`, worded for the user, or undefined when it is in bounds. */
export function durationOutOfBounds(key: BoundedDurationKey, ms: number): string | undefined {
  const bound: DurationBound = DURATION_BOUNDS[key];
  if (ms === 0 && bound.zeroMeansNever) return undefined;
  if (ms >= bound.minMs && ms <= bound.maxMs) return undefined;
  const range = `from ${short(bound.minMs)} to ${short(bound.maxMs)}`;
  return `must be ${range}${bound.zeroMeansNever ? " (or 0 for never)" : ""}, not ${ms < SECOND ? `${ms}ms` : formatDuration(ms)}`;
}

/** `1s`, `10m`, `1h`, `7d`: bounds are whole units. */
function short(ms: number): string {
  if (ms === 0) return "0";
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  return `${ms / SECOND}s`;
}
