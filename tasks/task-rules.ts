/**
 * The alerting rules of scheduled jobs, as one pure function: (what gaia.db says about a task,
 * settings, now) → what to do with its incidents. No I/O and no clock: the shell gathers the
 * facts from the `task_runs` and `incidents` rows, so the rules hold across restarts of the
 * monitor by construction, and they are tested with plain tables.
 *
 * Two conditions per task, each at most one open incident:
 * - `failed`: the last finished run failed or timed out. Further failures update the incident
 *   (no new message; reminders say it is still failing); the next good run resolves it with how
 *   long the task was failing.
 * - `missed`: with `expect`, no successful run for `expect` + `grace` since the last success, or
 *   since the monitor first knew the task (the dead man's switch). A good run resolves it.
 */
import { formatDuration } from "../config/durations.js";
import type { TaskConfig } from "../config/types.js";

export type TaskCondition = "failed" | "missed";

/** One finished run, as the rules need it. */
export interface FinishedRun {
  id: string;
  /** `lost`: its launcher (`gaia run`) died before reporting the end, so the outcome is unknown. */
  status: "succeeded" | "failed" | "timed-out" | "lost";
  exitCode: number | null;
  durationMs: number | null;
  endedAt: Date;
  outputTail: string | null;
}

/** An open incident of a task, with the reminder bookkeeping kept beside it. */
export interface OpenTaskIncident {
  id: number;
  /** `failed`, `timeout` (a failed incident opened by a run stopped by its timeout) or `missed`. */
  condition: string;
  openedAt: Date;
  /** When the last opened or reminder alert fell due (sent or, while muted, not). */
  lastNotifiedAt: Date;
  /** Whether an alert about it reached the outbox (not when it opened muted and stayed so). */
  announced: boolean;
  acknowledged: boolean;
  /** For `failed`: the run its figures describe, and how many runs failed in the streak. */
  runId?: string;
  failedRuns?: number;
}

/** What gaia.db says about one task. */
export interface TaskFacts {
  task: TaskConfig;
  /** When the monitor first knew the task (the start of the missed-run clock before any success). */
  firstKnownAt: Date;
  /** The newest successful run, by end time. */
  lastSuccess?: FinishedRun;
  /** The newest finished run of any outcome, by end time. */
  lastFinished?: FinishedRun;
  /** The failed or timed-out runs that ended after `lastSuccess`: how many, and when the first ended. */
  failuresSinceSuccess: { count: number; firstEndedAt?: Date };
  open: { failed?: OpenTaskIncident; missed?: OpenTaskIncident };
}

/** Settings of the rules: the reminder period and the mutes in force. */
export interface TaskRuleSettings {
  /** Repeat an open, unacknowledged incident this often; 0 never repeats. */
  remindMs: number;
  mutes: readonly { subject: string; until: Date }[];
}

/** What an alert about a task says, as data; the shell adds the incident id. */
export interface TaskAlert {
  condition: "failed" | "timeout" | "missed";
  change: "opened" | "resolved" | "reminder";
  at: Date;
  openedAt: Date;
  durationMs?: number;
  details: string[];
  pre?: string;
}

/** The figures kept on a task incident row (and shown by /status and /history). */
export interface TaskIncidentFigures {
  runId?: string;
  exitCode?: number | null;
  runDurationMs?: number | null;
  failedRuns?: number;
  lastSuccessAt?: string | null;
  expectMs?: number;
  graceMs?: number;
}

/** One thing to do about a task's incidents. `notify` false: record it, send nothing. */
export type TaskDecision =
  | { kind: "open"; key: string; task: string; condition: string; openedAt: Date; muted: boolean; notify: boolean; figures: TaskIncidentFigures; alert: TaskAlert }
  | { kind: "update"; incidentId: number; figures: TaskIncidentFigures }
  | { kind: "resolve"; incidentId: number; task: string; condition: string; resolvedAt: Date; notify: boolean; alert: TaskAlert }
  | { kind: "remind"; incidentId: number; task: string; notify: boolean; alert: TaskAlert };

/** The incident key of a task's condition: `task:backup:failed`, `task:backup:missed`. */
export function taskConditionKey(task: string, condition: TaskCondition): string {
  return `task:${task}:${condition}`;
}

/**
 * When a task with `expect` is missed if no good run comes first; undefined without `expect`.
 * The one rule for the missed-run alert and /status's "next by" / "overdue since".
 */
export function missedDeadline(facts: { task: TaskConfig; firstKnownAt: Date; lastSuccess?: Pick<FinishedRun, "endedAt"> }): Date | undefined {
  const { expectMs, graceMs } = facts.task;
  if (expectMs === undefined) return undefined;
  const since = facts.lastSuccess?.endedAt ?? facts.firstKnownAt;
  return new Date(since.getTime() + expectMs + (graceMs ?? 0));
}

/**
 * Everything that should happen to one task's incidents now: open, update, resolve or remind, in
 * that order, failed before missed. Calling it again with the facts after the decisions were
 * applied returns nothing new (the rules are level-triggered, so a report arriving late or twice
 * cannot double an alert).
 */
export function evaluateTask(facts: TaskFacts, settings: TaskRuleSettings, now: Date): TaskDecision[] {
  const decisions: TaskDecision[] = [];
  const muted = isMuted(facts.task.name, settings, now);
  decideFailed(facts, muted, now, decisions);
  decideMissed(facts, muted, now, decisions);
  for (const open of [facts.open.failed, facts.open.missed]) {
    if (!open || decisions.some((d) => "incidentId" in d && d.incidentId === open.id && d.kind === "resolve")) continue;
    const reminder = remind(facts, open, settings, muted, now);
    if (reminder) decisions.push(reminder);
  }
  return decisions;
}

/** Whether `/mute TASK` or `/mute all` is in force. */
export function isMuted(task: string, settings: Pick<TaskRuleSettings, "mutes">, now: Date): boolean {
  return settings.mutes.some((m) => m.until.getTime() > now.getTime() && (m.subject === "all" || m.subject === task));
}

function decideFailed(facts: TaskFacts, muted: boolean, now: Date, decisions: TaskDecision[]): void {
  const { task, lastFinished, lastSuccess, open } = facts;
  const failing = lastFinished !== undefined && lastFinished.status !== "succeeded";
  if (failing && !open.failed) {
    const condition = lastFinished.status === "timed-out" ? "timeout" : "failed";
    const openedAt = facts.failuresSinceSuccess.firstEndedAt ?? lastFinished.endedAt;
    decisions.push({
      kind: "open",
      key: taskConditionKey(task.name, "failed"),
      task: task.name,
      condition,
      openedAt,
      muted,
      notify: !muted,
      figures: failureFigures(facts, lastFinished),
      alert: {
        condition,
        change: "opened",
        at: lastFinished.endedAt,
        openedAt,
        details: [runLine(lastFinished, task), ...earlierFailuresLine(facts)],
        ...pre(lastFinished),
      },
    });
  } else if (failing && open.failed && open.failed.runId !== lastFinished.id) {
    decisions.push({ kind: "update", incidentId: open.failed.id, figures: failureFigures(facts, lastFinished) });
  } else if (!failing && open.failed) {
    // Without a good run (its runs were deleted by retention) it is closed without a word.
    const resolvedAt = lastSuccess?.endedAt ?? now;
    const failingFor = Math.max(0, resolvedAt.getTime() - open.failed.openedAt.getTime());
    decisions.push({
      kind: "resolve",
      incidentId: open.failed.id,
      task: task.name,
      condition: open.failed.condition,
      resolvedAt,
      notify: lastSuccess !== undefined && !muted && open.failed.announced,
      alert: {
        condition: open.failed.condition === "timeout" ? "timeout" : "failed",
        change: "resolved",
        at: resolvedAt,
        openedAt: open.failed.openedAt,
        durationMs: failingFor,
        details: [
          `had been failing for ${formatDuration(failingFor)}${open.failed.failedRuns && open.failed.failedRuns > 1 ? `, ${open.failed.failedRuns} failed runs in a row` : ""}`,
          ...(lastSuccess ? [`this run took ${formatDuration(lastSuccess.durationMs ?? 0)}`] : []),
        ],
      },
    });
  }
}

function decideMissed(facts: TaskFacts, muted: boolean, now: Date, decisions: TaskDecision[]): void {
  const { task, lastSuccess, open } = facts;
  const deadline = missedDeadline(facts);
  const missed = deadline !== undefined && now.getTime() > deadline.getTime();
  if (missed && !open.missed) {
    const since = lastSuccess?.endedAt ?? facts.firstKnownAt;
    const silentFor = now.getTime() - since.getTime();
    decisions.push({
      kind: "open",
      key: taskConditionKey(task.name, "missed"),
      task: task.name,
      condition: "missed",
      openedAt: deadline,
      muted,
      notify: !muted,
      figures: { lastSuccessAt: lastSuccess?.endedAt.toISOString() ?? null, expectMs: task.expectMs, graceMs: task.graceMs },
      alert: {
        condition: "missed",
        change: "opened",
        at: now,
        openedAt: deadline,
        details: [
          lastSuccess
            ? `no successful run for ${formatDuration(silentFor)}`
            : `no successful run in the ${formatDuration(silentFor)} since gaia started watching it`,
          `expected every ${formatDuration(task.expectMs!)}, with ${formatDuration(task.graceMs ?? 0)} of grace`,
        ],
      },
    });
  } else if (!missed && open.missed) {
    // A good run, or `expect` taken out of gaia.yml (then there is nothing to announce).
    const byRun = lastSuccess !== undefined && deadline !== undefined;
    const resolvedAt = byRun ? lastSuccess.endedAt : now;
    const missedFor = Math.max(0, resolvedAt.getTime() - open.missed.openedAt.getTime());
    decisions.push({
      kind: "resolve",
      incidentId: open.missed.id,
      task: task.name,
      condition: "missed",
      resolvedAt,
      notify: byRun && !muted && open.missed.announced,
      alert: {
        condition: "missed",
        change: "resolved",
        at: resolvedAt,
        openedAt: open.missed.openedAt,
        durationMs: missedFor,
        details: byRun ? [`${formatDuration(missedFor)} after it was due; this run took ${formatDuration(lastSuccess.durationMs ?? 0)}`] : [],
      },
    });
  }
}

/**
 * A reminder for an open, unacknowledged incident whose last notice is `remindMs` old. While
 * muted the reminder clock still moves on, but nothing is sent, so the end of a mute does not
 * re-send at once.
 */
function remind(facts: TaskFacts, open: OpenTaskIncident, settings: TaskRuleSettings, muted: boolean, now: Date): TaskDecision | undefined {
  if (!(settings.remindMs > 0) || open.acknowledged) return undefined;
  // A last notice dated in the future means the clock went back: remind once now (restarting the
  // reminder clock) rather than stay silent until the clock catches up.
  const sinceNotice = now.getTime() - open.lastNotifiedAt.getTime();
  if (sinceNotice >= 0 && sinceNotice < settings.remindMs) return undefined;
  const lasting = Math.max(0, now.getTime() - open.openedAt.getTime());
  const details: string[] = [];
  let tail: { pre?: string } = {};
  // The headline says how long it has lasted; the lines say what the admin needs to act.
  if (open.condition === "missed") {
    const since = facts.lastSuccess?.endedAt ?? facts.firstKnownAt;
    details.push(
      facts.lastSuccess ? `no successful run for ${formatDuration(now.getTime() - since.getTime())}` : `no successful run since gaia started watching it, ${formatDuration(now.getTime() - since.getTime())} ago`,
    );
    if (facts.task.expectMs !== undefined) details.push(`expected every ${formatDuration(facts.task.expectMs)}, with ${formatDuration(facts.task.graceMs ?? 0)} of grace`);
  } else {
    if (facts.lastFinished && facts.lastFinished.status !== "succeeded") {
      details.push(runLine(facts.lastFinished, facts.task), ...earlierFailuresLine(facts));
      tail = pre(facts.lastFinished);
    }
  }
  return {
    kind: "remind",
    incidentId: open.id,
    task: facts.task.name,
    notify: !muted,
    alert: {
      condition: open.condition === "missed" ? "missed" : open.condition === "timeout" ? "timeout" : "failed",
      change: "reminder",
      at: now,
      openedAt: open.openedAt,
      durationMs: lasting,
      details,
      ...tail,
    },
  };
}

function failureFigures(facts: TaskFacts, run: FinishedRun): TaskIncidentFigures {
  return {
    runId: run.id,
    exitCode: run.exitCode,
    runDurationMs: run.durationMs,
    failedRuns: Math.max(1, facts.failuresSinceSuccess.count),
    lastSuccessAt: facts.lastSuccess?.endedAt.toISOString() ?? null,
  };
}

/** "exit code 3 after 2s", or "stopped by its timeout of 1h (exit code 143)". */
function runLine(run: FinishedRun, task: TaskConfig): string {
  const code = run.exitCode === null ? "no exit code" : `exit code ${run.exitCode}${signalName(run.exitCode)}`;
  const took = formatDuration(run.durationMs ?? 0);
  if (run.status === "lost") return `lost after ${took}: gaia run was killed (or the host went down) before it could report the end; the outcome is unknown`;
  return run.status === "timed-out"
    ? `stopped by its timeout of ${formatDuration(task.timeoutMs ?? run.durationMs ?? 0)} (${code})`
    : `${code} after ${took}`;
}

function earlierFailuresLine(facts: TaskFacts): string[] {
  const count = facts.failuresSinceSuccess.count;
  return count > 1 ? [`${count} failed runs in a row`] : [];
}

function pre(run: FinishedRun): { pre?: string } {
  return run.outputTail ? { pre: run.outputTail } : {};
}

const SIGNAL_NAMES: Record<number, string> = { 129: "SIGHUP", 130: "SIGINT", 131: "SIGQUIT", 134: "SIGABRT", 137: "SIGKILL", 139: "SIGSEGV", 141: "SIGPIPE", 143: "SIGTERM" };

/** Exit codes above 128 usually mean a signal: say which, as a shell would. */
function signalName(code: number): string {
  const name = SIGNAL_NAMES[code];
  return name ? `, killed by ${name}` : "";
}
