import { Outbox } from "../../alerts/outbox.js";
import { runRoutes } from "../../api/run-routes.js";
import { missedRunCheckEvery, missedRunsJob } from "../../jobs/missed-runs.js";
import { taskRunRetentionJob } from "../../jobs/task-run-retention.js";
import { TaskMonitor } from "../../incidents/task-monitor.js";
import type { CoreServices, FeatureWiring } from "../feature.js";

const CHECK_JOB = "tasks.check";
const RETENTION_JOB = "tasks.retention";
const RETENTION_EVERY_MS = 60 * 60_000;

/**
 * Scheduled jobs started through `gaia run`: `POST /v1/runs` records their runs, a job takes the
 * spooled reports and looks for missed runs and due reminders, and an hourly one keeps
 * `task_runs` within `retention.events`. Task incidents go to the same outbox as every other alert.
 */
export function wireTasks(core: CoreServices, options: { outbox?: Outbox } = {}): FeatureWiring {
  const { config, dataSource, audit, state, logger, now } = core;
  const { settings } = config;
  const outbox = options.outbox ?? new Outbox(dataSource, settings.telegram.chat, now);
  const tasks = new TaskMonitor({
    dataSource,
    audit,
    outbox,
    state,
    tasks: settings.tasks,
    remindMs: settings.alerts.remindMs,
    spoolDir: config.paths.spoolDir,
    logger,
    redact: core.redact,
    now,
  });
  const hasTasks = settings.tasks.length > 0;
  return {
    routes: [runRoutes(tasks)],
    jobs: [
      // At start, runs reported while the monitor was stopped are taken before anything is called missed.
      ...(hasTasks ? [{ name: CHECK_JOB, every: missedRunCheckEvery(settings.tasks, settings.alerts.remindMs), run: missedRunsJob(tasks), atStart: true }] : []),
      { name: RETENTION_JOB, every: RETENTION_EVERY_MS, run: taskRunRetentionJob({ tasks, eventsMs: settings.retention.eventsMs, logger, now }), atStart: true },
    ],
  };
}
