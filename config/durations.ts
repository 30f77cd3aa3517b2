const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Parses a duration written like `30s`, `5m`, `1h`, `7d` (or `0`) into milliseconds.
 * Returns undefined for anything else, so that callers can report the key that holds it.
 */
export function parseDuration(text: string | number): number | undefined {
  if (text === 0 || text === "0") return 0;
  if (typeof text !== "string") return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** Writes milliseconds the way people read them: `45s`, `12m`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d ${hours % 24}h` : `${days}d`;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1_000, mb: 1_000_000, gb: 1_000_000_000, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
  k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/** Parses a size such as `512MB`, `1.5GiB` or `300M` into bytes; undefined when it is not one. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = SIZE_UNITS[match[2].toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}
