/**
 * The monitor's side of scheduled jobs: records each reported run as a `task_runs` row, and after
 * each report and on every missed-run check asks the pure rules (`task-rules.ts`) what the task's
 * incidents should be, applying the answer in the same transaction. All changes go through one
 * queue, so two reports of the same task never race.
 */
import { randomUUID } from "node:crypto";
import { In, IsNull, LessThan, MoreThan, Not, type DataSource, type EntityManager } from "typeorm";
import type { Outbox } from "../alerts/outbox.js";
import type { Redact } from "../config/redact.js";
import type { TaskConfig } from "../config/types.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { Incident } from "../entities/incident.js";
import { Mute } from "../entities/mute.js";
import { TASKS_STATE_KEY, type StateStore } from "../entities/state-store.js";
import { TaskRun } from "../entities/task-run.js";
import type { Logger } from "pino";
import { OUTPUT_TAIL_LIMIT } from "../tasks/output-tail.js";
import type { RunEndReport, RunStartReport } from "../tasks/run-report.js";
import { IncidentLedger } from "./incident-ledger.js";
import { processFate, type ProcessFate, type ProcessIdentity } from "../monitor/process-identity.js";
import { TaskIncidentRecorder } from "./task-incidents.js";
import { evaluateTask, type FinishedRun, type OpenTaskIncident, type TaskFacts, type TaskRuleSettings } from "../tasks/task-rules.js";

/** Where the tasks' bookkeeping lives in gaia.db's state table. */
export { TASKS_STATE_KEY };

/** What the task rules remember besides the rows: since when each task is known (reminders are incident columns). */
interface TasksState {
  version: 1;
  /** ISO, by task name: when the monitor first knew the task (the missed-run clock's start). */
  firstKnownAt: Record<string, string>;
}

/** A report the monitor cannot take: an unknown task (404) or a run id used by another task (409). */
export class RunNotAccepted extends Error {
  constructor(readonly reason: "unknown-task" | "conflict", message: string) {
    super(message);
    this.name = "RunNotAccepted";
  }
}

export interface TaskMonitorOptions {
  dataSource: DataSource;
  audit: AuditTrail;
  outbox: Outbox;
  state: StateStore;
  tasks: readonly TaskConfig[];
  /** `alerts.remind`. */
  remindMs: number;
  spoolDir: string;
  logger: Logger;
  /** Whether a run's launcher still runs (test seam); default: /proc (monitor/process-identity.ts). */
  launcherFate?: (launcher: ProcessIdentity) => ProcessFate;
  /** Redacts output tails (the monitor redacts again: a report may come from curl). */
  redact: Redact;
  now: () => Date;
}

/** See the file comment. */
export class TaskMonitor {
  private readonly tasks: Map<string, TaskConfig>;
  private readonly ledger: IncidentLedger;
  private readonly recorder: TaskIncidentRecorder;
  private state: TasksState = { version: 1, firstKnownAt: {} };
  private queue: Promise<unknown> = Promise.resolve();
  private loaded = false;
  private readonly reportedBadFiles = new Set<string>();

  constructor(private readonly options: TaskMonitorOptions) {
    this.tasks = new Map(options.tasks.map((t) => [t.name, t]));
    this.ledger = new IncidentLedger({ audit: options.audit, outbox: options.outbox });
    this.recorder = new TaskIncidentRecorder(this.ledger);
  }

  /** The configured tasks, in gaia.yml order. */
  get taskNames(): string[] {
    return [...this.tasks.keys()];
  }

  /**
   * Reads the bookkeeping from gaia.db and starts the missed-run clock of tasks seen for the first
   * time. Runs by itself before the first change; call it at start to fix "first known" at once.
   */
  async load(): Promise<void> {
    await this.serially(async () => undefined);
  }

  /** Records a run's start (idempotent by run id); returns the run id, made here when none was given. */
  async recordStart(report: RunStartReport): Promise<{ runId: string }> {
    this.taskOrThrow(report.task);
    return this.serially(() =>
      this.options.dataSource.transaction(async (manager) => {
        const repo = manager.getRepository(TaskRun);
        const runId = report.runId ?? randomUUID();
        const existing = await repo.findOneBy({ id: runId });
        if (existing) {
          this.sameTaskOrThrow(existing, report.task);
          return { runId };
        }
        const now = this.options.now();
        await repo.insert({
          id: runId,
          task: report.task,
          startedAt: notAfter(report.startedAt ? new Date(report.startedAt) : now, now),
          endedAt: null,
          status: "running",
          exitCode: null,
          durationMs: null,
          outputTail: null,
          launcherPid: report.launcher?.pid ?? null,
          launcherStart: report.launcher ? `${report.launcher.startTicks} ${report.launcher.bootId ?? ""}`.trim() : null,
        });
        return { runId };
      }),
    );
  }

  /**
   * Records a run's end and applies the rules, in one transaction. A run already ended is left
   * as it is (`duplicate`): a report that came twice, through the API and the spool, counts once.
   */
  async recordEnd(report: RunEndReport): Promise<{ runId: string; status: string; duplicate: boolean }> {
    const task = this.taskOrThrow(report.task);
    const result = await this.serially(() =>
      this.transaction(async (manager, now) => {
        const repo = manager.getRepository(TaskRun);
        const runId = report.runId ?? randomUUID();
        const existing = await repo.findOneBy({ id: runId });
        if (existing) this.sameTaskOrThrow(existing, report.task);
        // A run closed as lost may still get its real end (a report spooled as its launcher exited): it wins.
        if (existing?.endedAt && existing.status !== "lost") return { runId, status: existing.status, duplicate: true, recorded: false };
        const endedAt = notAfter(report.endedAt ? new Date(report.endedAt) : now, now);
        const startedAt =
          existing?.startedAt ??
          (report.startedAt ? new Date(report.startedAt) : new Date(endedAt.getTime() - (report.durationMs ?? 0)));
        const status = report.timedOut ? "timed-out" : report.exitCode === 0 ? "succeeded" : "failed";
        const row = {
          id: runId,
          task: task.name,
          startedAt,
          endedAt,
          status,
          exitCode: report.exitCode,
          durationMs: report.durationMs ?? Math.max(0, endedAt.getTime() - startedAt.getTime()),
          outputTail: report.outputTail ? this.options.redact(report.outputTail).slice(-OUTPUT_TAIL_LIMIT) : null,
        };
        if (existing) await repo.update({ id: runId }, row);
        else await repo.insert(row);
        return { runId, status, duplicate: false, recorded: true };
      }, (value) => ({ tasks: value.recorded ? [task] : [] })),
    );
    return { runId: result.runId, status: result.status, duplicate: result.duplicate };
  }

  /**
   * The periodic check: missed runs and reminders of every task; incidents of tasks no longer in
   * gaia.yml are closed without a word.
   */
  async check(): Promise<void> {
    await this.serially(() => this.transaction(async (manager, now) => {
      await this.closeOrphans(manager, now);
      await this.closeLostRuns(manager, now);
      return undefined;
    }, () => ({ tasks: [...this.tasks.values()] })));
  }

  /**
   * Closes as `lost` the runs still "running" whose `gaia run` is gone (killed with SIGKILL, or
   * the host went down) without reporting the end: the job's outcome is unknown. For a task with
   * `expect`, the rules count a lost run as a failure (an alert: its run was not seen through);
   * for others it is only closed, so that /status and /history stop showing it as running.
   */
  private async closeLostRuns(manager: EntityManager, now: Date): Promise<void> {
    const runs = manager.getRepository(TaskRun);
    const running = await runs.find({ where: { status: "running", launcherPid: Not(IsNull()) } });
    const fateOf = this.options.launcherFate ?? processFate;
    for (const run of running) {
      const launcher = launcherOf(run);
      if (!launcher || fateOf(launcher) !== "gone") continue;
      await runs.update(
        { id: run.id, status: "running" },
        { status: "lost", endedAt: now, durationMs: Math.max(0, now.getTime() - run.startedAt.getTime()) },
      );
      this.options.logger.warn({ task: run.task, runId: run.id, launcherPid: run.launcherPid }, "closed a run whose gaia run process is gone without reporting its end");
    }
  }

  /**
   * Records the reports `gaia run` kept under `.tmp/spool/` while no monitor ran, oldest first,
   * deleting each file once its run is stored. A file that can never be taken is renamed
   * `*.bad`; one for a task this monitor does not know (yet) stays for a restart with that task.
   * Returns how many runs were recorded.
   */
  async ingestSpool(): Promise<number> {
    let recorded = 0;
    // Loaded when first needed: its validator (zod) is not code the monitor's start should wait for.
    const { readSpool, removeSpooled, setAsideSpooled } = await import("../tasks/spooled-runs.js");
    for (const entry of readSpool(this.options.spoolDir)) {
      if ("problem" in entry) {
        this.options.logger.warn({ file: entry.file, problem: entry.problem }, "set aside a spooled run report that cannot be read");
        setAsideSpooled(entry.file);
        continue;
      }
      if (!this.tasks.has(entry.report.task)) {
        if (!this.reportedBadFiles.has(entry.file)) {
          this.reportedBadFiles.add(entry.file);
          this.options.logger.warn({ file: entry.file, task: entry.report.task }, "a spooled run report names a task that is not in gaia.yml; it is kept until the task is added");
        }
        continue;
      }
      try {
        const result = await this.recordEnd(entry.report);
        if (!result.duplicate) recorded++;
        removeSpooled(entry.file);
      } catch (error) {
        if (!(error instanceof RunNotAccepted)) throw error;
        this.options.logger.warn({ file: entry.file, err: error }, "set aside a spooled run report the monitor cannot take");
        setAsideSpooled(entry.file);
      }
    }
    if (recorded > 0) this.options.logger.info({ runs: recorded }, "recorded runs reported while the monitor was not running");
    return recorded;
  }

  /**
   * Deletes finished runs that ended before `before` (`retention.events`), except each task's
   * newest finished and newest successful run, which the rules (missed runs, failure streaks) and
   * /status still need however old they are. Returns how many rows went.
   */
  async prune(before: Date): Promise<number> {
    return this.serially(() =>
      this.options.dataSource.transaction(async (manager) => {
        const runs = manager.getRepository(TaskRun);
        const keep = new Set<string>();
        const names = await runs.createQueryBuilder("run").select("DISTINCT run.task", "task").getRawMany<{ task: string }>();
        for (const { task } of names) {
          const finished = { task, endedAt: Not(IsNull()) };
          const order = { endedAt: "DESC", startedAt: "DESC" } as const;
          for (const run of [await runs.findOne({ where: finished, order }), await runs.findOne({ where: { ...finished, status: "succeeded" }, order })]) {
            if (run) keep.add(run.id);
          }
        }
        const old = await runs.find({ select: { id: true }, where: { endedAt: LessThan(before) } });
        const doomed = old.map((run) => run.id).filter((id) => !keep.has(id));
        // SQLite limits the number of parameters of one statement.
        for (let i = 0; i < doomed.length; i += 500) await runs.delete({ id: In(doomed.slice(i, i + 500)) });
        return doomed.length;
      }),
    );
  }

  /**
   * Runs `body` in a transaction, then the rules for the tasks `after(result)` names, and applies
   * their decisions to the ledger in the same transaction.
   */
  private async transaction<T>(
    body: (manager: EntityManager, now: Date) => Promise<T>,
    after: (value: T) => { tasks: TaskConfig[] },
  ): Promise<T> {
    let queued = 0;
    const value = await this.options.dataSource.transaction(async (manager) => {
      const now = this.options.now();
      const result = await body(manager, now);
      const { tasks } = after(result);
      if (tasks.length === 0) return result;
      const settings: TaskRuleSettings = { remindMs: this.options.remindMs, mutes: await activeMutes(manager, now) };
      for (const task of tasks) {
        const facts = await this.facts(manager, task);
        const decisions = evaluateTask(facts, settings, now);
        if (decisions.length === 0) continue;
        queued += (await this.recorder.apply(manager, decisions, now)).queued;
      }
      return result;
    });
    if (queued > 0) this.options.outbox.kick();
    return value;
  }

  /** What gaia.db says about one task, for the rules. */
  private async facts(manager: EntityManager, task: TaskConfig): Promise<TaskFacts> {
    const runs = manager.getRepository(TaskRun);
    // A lost run (its launcher died) is a failure only for a task with `expect`; otherwise it is ignored.
    const lostCounts = task.expectMs !== undefined;
    const finished = { task: task.name, endedAt: Not(IsNull()), ...(lostCounts ? {} : { status: Not("lost") }) };
    const order = { endedAt: "DESC", startedAt: "DESC" } as const;
    const lastSuccess = await runs.findOne({ where: { ...finished, status: "succeeded" }, order });
    const lastFinished = await runs.findOne({ where: finished, order });
    const failedWhere = { task: task.name, status: In(lostCounts ? ["failed", "timed-out", "lost"] : ["failed", "timed-out"]), endedAt: lastSuccess?.endedAt ? MoreThan(lastSuccess.endedAt) : Not(IsNull()) };
    const failureCount = await runs.count({ where: failedWhere });
    const firstFailure = failureCount > 0 ? await runs.findOne({ where: failedWhere, order: { endedAt: "ASC" } }) : null;
    const openRows = await manager.getRepository(Incident).find({
      where: { subjectKind: "task", subjectName: task.name, status: "open" },
      order: { id: "ASC" },
    });
    const open: TaskFacts["open"] = {};
    for (const row of openRows) {
      const incident = openIncident(row);
      if (row.condition === "missed") open.missed ??= incident;
      else open.failed ??= incident;
    }
    return {
      task,
      firstKnownAt: new Date(this.state.firstKnownAt[task.name] ?? this.options.now().toISOString()),
      ...(lastSuccess ? { lastSuccess: finishedRun(lastSuccess) } : {}),
      ...(lastFinished ? { lastFinished: finishedRun(lastFinished) } : {}),
      failuresSinceSuccess: { count: failureCount, ...(firstFailure?.endedAt ? { firstEndedAt: firstFailure.endedAt } : {}) },
      open,
    };
  }

  private async closeOrphans(manager: EntityManager, now: Date): Promise<void> {
    const open = await manager.getRepository(Incident).find({ where: { subjectKind: "task", status: "open" } });
    for (const incident of open) {
      if (!this.tasks.has(incident.subjectName)) await this.ledger.closeUnwatched(manager, incident, now, "the task is no longer in gaia.yml");
    }
  }

  private taskOrThrow(name: string): TaskConfig {
    const task = this.tasks.get(name);
    if (!task) {
      throw new RunNotAccepted("unknown-task", `no task named "${name}" in gaia.yml${this.tasks.size ? ` (tasks: ${this.taskNames.join(", ")})` : ""}; add it under tasks: and restart gaia`);
    }
    return task;
  }

  private sameTaskOrThrow(run: TaskRun, task: string): void {
    if (run.task !== task) throw new RunNotAccepted("conflict", `run ${run.id} belongs to task ${run.task}, not ${task}`);
  }

  /** Runs changes one after the other (a failed one does not stop the next), the first after loading. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (!this.loaded) await this.loadState();
      return work();
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async loadState(): Promise<void> {
    const restored = restoreState(await this.options.state.get<unknown>(TASKS_STATE_KEY));
    const now = this.options.now().toISOString();
    const next: TasksState = { ...restored, firstKnownAt: { ...restored.firstKnownAt } };
    for (const name of this.tasks.keys()) next.firstKnownAt[name] ??= now;
    await this.options.state.set(TASKS_STATE_KEY, next);
    this.state = next;
    this.loaded = true;
  }
}

async function activeMutes(manager: EntityManager, now: Date): Promise<{ subject: string; until: Date }[]> {
  const rows = await manager.getRepository(Mute).find({ where: { until: MoreThan(now) } });
  return rows.map((row) => ({ subject: row.subject, until: row.until }));
}

function finishedRun(row: TaskRun): FinishedRun {
  return {
    id: row.id,
    status: row.status === "succeeded" || row.status === "timed-out" || row.status === "lost" ? row.status : "failed",
    exitCode: row.exitCode,
    durationMs: row.durationMs,
    endedAt: row.endedAt!,
    outputTail: row.outputTail,
  };
}

function openIncident(row: Incident): OpenTaskIncident {
  const runId = row.figures?.runId;
  const failedRuns = row.figures?.failedRuns;
  return {
    id: row.id,
    condition: row.condition,
    openedAt: row.openedAt,
    lastNotifiedAt: row.lastNotifiedAt ?? row.openedAt,
    announced: row.announced,
    acknowledged: row.acknowledgedAt !== null,
    ...(typeof runId === "string" ? { runId } : {}),
    ...(typeof failedRuns === "number" ? { failedRuns } : {}),
  };
}

/** A report's time, but never in the future (a clock that ran ahead must not hold off the missed-run check). */
function notAfter(date: Date, now: Date): Date {
  return date.getTime() > now.getTime() ? now : date;
}

function restoreState(value: unknown): TasksState {
  const state: TasksState = { version: 1, firstKnownAt: {} };
  if (typeof value !== "object" || value === null) return state;
  const raw = value as Partial<TasksState>;
  if (raw.version !== 1) return state;
  for (const [name, at] of Object.entries(raw.firstKnownAt ?? {})) {
    if (typeof at === "string" && !Number.isNaN(Date.parse(at))) state.firstKnownAt[name] = at;
  }
  return state;
}

/** The launcher recorded with a run ("TICKS BOOT_ID"), when there is one to check. */
function launcherOf(run: TaskRun): ProcessIdentity | undefined {
  if (run.launcherPid === null || !run.launcherStart) return undefined;
  const [ticks, bootId] = run.launcherStart.split(" ");
  if (!/^\d+$/.test(ticks)) return undefined;
  return { pid: run.launcherPid, startTicks: Number(ticks), ...(bootId ? { bootId } : {}) };
}
