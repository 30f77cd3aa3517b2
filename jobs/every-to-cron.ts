/**
 * The node-cron expression (with seconds) that fires every `everyMs`, when one exists: periods that
 * divide a minute, an hour or a day evenly. Others (say 7s or 90s) have no exact cron form and
 * return undefined, for the scheduler to use a timer instead.
 */
export function everyToCron(everyMs: number): string | undefined {
  if (everyMs % 1000 !== 0 || everyMs <= 0) return undefined;
  const seconds = everyMs / 1000;
  if (seconds < 60) return 60 % seconds === 0 ? (seconds === 1 ? "* * * * * *" : `*/${seconds} * * * * *`) : undefined;
  if (seconds % 60 !== 0) return undefined;
  const minutes = seconds / 60;
  if (minutes < 60) return 60 % minutes === 0 ? `0 */${minutes} * * * *` : undefined;
  if (minutes % 60 !== 0) return undefined;
  const hours = minutes / 60;
  if (hours < 24) return 24 % hours === 0 ? `0 0 */${hours} * * *` : undefined;
  return hours === 24 ? "0 0 0 * * *" : undefined;
}
