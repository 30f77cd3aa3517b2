import type { Logger } from "pino";
import type { TaskMonitor } from "../incidents/task-monitor.js";

/**
 * Keeps `task_runs` within `retention.events` (hourly, and once at start); each task's newest
 * finished and newest successful run stay, however old.
 */
export function taskRunRetentionJob(options: { tasks: TaskMonitor; eventsMs: number; logger: Logger; now: () => Date }): () => Promise<void> {
  return async () => {
    const removed = await options.tasks.prune(new Date(options.now().getTime() - options.eventsMs));
    if (removed > 0) options.logger.info({ removed }, "retention: removed old task runs from gaia.db");
  };
}
