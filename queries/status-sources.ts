import { hostname } from "node:os";
import { createTask } from "node-cron";
import { And, LessThanOrEqual, MoreThan, MoreThanOrEqual, type DataSource } from "typeorm";
import { ApprovalRequest } from "../entities/approval-request.js";
import { Incident } from "../entities/incident.js";
import { Mute } from "../entities/mute.js";
import { Sample } from "../entities/sample.js";
import { LAST_HEARTBEAT_KEY, TASKS_STATE_KEY, type StateStore } from "../entities/state-store.js";
import { TaskRun } from "../entities/task-run.js";
import type { Snapshot } from "../monitor/snapshot.js";
import type { StatusSources } from "./status-report.js";

/** The `samples` subject of the host's own figures. */
const HOST_SUBJECT = "host";

/**
 * The status report's sources in a running monitor: the latest probe (held by the monitoring
 * jobs), gaia.db for incidents, approvals, mutes, runs and samples, and the rotation schedule.
 */
export function databaseStatusSources(options: {
  dataSource: DataSource;
  state: StateStore;
  latestSnapshot: () => Promise<Snapshot | undefined>;
  /** `rotation.schedule` when rotation is configured. */
  rotationSchedule?: string;
  /** The rotation feature's own view (its due time in gaia.db, the token's expiry), when it runs. */
  rotation?: { nextRotation(): Date | undefined; tokenExpiresAt(): Date | undefined };
}): StatusSources {
  const { dataSource } = options;
  return {
    latestSnapshot: options.latestSnapshot,
    hostSamples: (since, until) =>
      dataSource.getRepository(Sample).find({
        select: { at: true, cpu: true, memory: true },
        where: { subject: HOST_SUBJECT, at: And(MoreThanOrEqual(since), LessThanOrEqual(until)) },
        order: { at: "ASC" },
      }),
    openIncidents: () => dataSource.getRepository(Incident).find({ where: { status: "open" }, order: { openedAt: "DESC" } }),
    pendingApprovals: (now) =>
      dataSource.getRepository(ApprovalRequest).find({ where: { status: "pending", expiresAt: MoreThan(now) }, order: { createdAt: "ASC" } }),
    activeMutes: (now) => dataSource.getRepository(Mute).find({ where: { until: MoreThan(now) }, order: { subject: "ASC" } }),
    taskRuns: async (task) => {
      const runs = dataSource.getRepository(TaskRun);
      const [last, lastSuccess, tasksState] = await Promise.all([
        runs.findOne({ where: { task }, order: { startedAt: "DESC" } }),
        // By end time, as the missed-run rule reads it (tasks/task-rules.ts).
        runs.findOne({ where: { task, status: "succeeded" }, order: { endedAt: "DESC" } }),
        options.state.get<{ firstKnownAt?: Record<string, unknown> }>(TASKS_STATE_KEY),
      ]);
      const known = tasksState?.firstKnownAt?.[task];
      const firstKnownAt = typeof known === "string" && !Number.isNaN(Date.parse(known)) ? new Date(known) : undefined;
      return { last: last ?? undefined, lastSuccess: lastSuccess ?? undefined, ...(firstKnownAt ? { firstKnownAt } : {}) };
    },
    lastHeartbeat: () => options.state.get<string>(LAST_HEARTBEAT_KEY),
    nextRotation: () => (options.rotationSchedule ? (options.rotation?.nextRotation() ?? nextCronRun(options.rotationSchedule)) : undefined),
    tokenExpiresAt: () => options.rotation?.tokenExpiresAt(),
    hostname: () => hostname(),
  };
}

/** The next moment a cron expression falls due, from now. */
function nextCronRun(expression: string): Date | undefined {
  const task = createTask(expression, () => undefined);
  try {
    return task.getNextRuns(1)[0];
  } finally {
    void task.destroy();
  }
}
