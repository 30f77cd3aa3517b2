/** The exit codes of CONTRACT section 4, by meaning. */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** `gaia approve`: denied. */
  denied: 1,
  badConfig: 2,
  usage: 2,
  /** `gaia approve`: expired. */
  expired: 3,
  noMonitor: 4,
} as const;
