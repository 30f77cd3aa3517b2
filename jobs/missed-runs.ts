import type { TaskConfig } from "../config/types.js";
import type { TaskMonitor } from "../incidents/task-monitor.js";

/** The longest wait between two checks: reminders and an hour-long `expect` need no more. */
const MAX_CHECK_EVERY_MS = 30_000;
const MIN_CHECK_EVERY_MS = 1_000;

/**
 * How often the tasks are checked: a tenth of the shortest `expect` + `grace` and of
 * `alerts.remind` (so a missed run or a reminder comes at most 10% late), between 1 and 30
 * seconds. A check is a few indexed queries per task.
 */
export function missedRunCheckEvery(tasks: readonly TaskConfig[], remindMs = 0): number {
  const windows = tasks.filter((t) => t.expectMs !== undefined).map((t) => t.expectMs! + (t.graceMs ?? 0));
  if (remindMs > 0) windows.push(remindMs);
  const shortest = windows.length ? Math.min(...windows) : Infinity;
  const every = Math.min(MAX_CHECK_EVERY_MS, Math.max(MIN_CHECK_EVERY_MS, Math.floor(shortest / 10)));
  // Whole seconds have an exact cron form in the scheduler.
  return Math.max(MIN_CHECK_EVERY_MS, Math.floor(every / 1000) * 1000);
}

/**
 * One check of the scheduled jobs: first the run reports `gaia run` spooled while the monitor
 * was away (so a run that did happen is never reported missed), then missed runs and reminders.
 */
export function missedRunsJob(tasks: TaskMonitor): () => Promise<void> {
  return async () => {
    await tasks.ingestSpool();
    await tasks.check();
  };
}
