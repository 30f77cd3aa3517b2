/**
 * Turns the task rules' decisions into what must survive: incident rows (subject kind `task`),
 * audit events and outbox rows, written with the caller's transaction so that a run, the incident
 * it opens and its alert commit together or not at all.
 */
import type { EntityManager } from "typeorm";
import type { TaskAlert, TaskDecision } from "../tasks/task-rules.js";
import type { AlertFacts, IncidentDecision, IncidentLedger } from "./incident-ledger.js";

/** Records task decisions; see the file comment. */
export class TaskIncidentRecorder {
  constructor(private readonly ledger: IncidentLedger) {}

  /** Applies the decisions within `manager`'s transaction; returns how many alerts were queued (kick delivery after the commit). */
  async apply(manager: EntityManager, decisions: readonly TaskDecision[], now: Date): Promise<{ queued: number }> {
    let queued = 0;
    for (const decision of decisions) {
      const applied = await this.ledger.apply(manager, ledgerDecision(decision, now));
      if (applied.queued) queued++;
    }
    return { queued };
  }
}

/** A task decision in the ledger's terms. */
function ledgerDecision(decision: TaskDecision, now: Date): IncidentDecision {
  switch (decision.kind) {
    case "open":
      return {
        kind: "open",
        key: decision.key,
        subjectKind: "task",
        subject: decision.task,
        condition: decision.condition,
        openedAt: decision.openedAt,
        muted: decision.muted,
        figures: { ...decision.figures },
        ...told(decision.task, decision.alert, decision.notify, now, decision.muted),
      };
    case "update":
      return { kind: "update", ref: { incidentId: decision.incidentId }, figures: { ...decision.figures } };
    case "resolve":
      return { kind: "resolve", ref: { incidentId: decision.incidentId }, ...told(decision.task, decision.alert, decision.notify, now, !decision.notify) };
    case "remind": {
      const { audit, ...rest } = told(decision.task, decision.alert, decision.notify, now, false);
      // A reminder that stays quiet (muted) leaves no audit event; its clock moves on all the same.
      return { kind: "remind", ref: { incidentId: decision.incidentId }, ...rest, ...(decision.notify ? { audit } : {}) };
    }
  }
}

function told(task: string, alert: TaskAlert, notify: boolean, now: Date, silent: boolean) {
  return {
    at: alert.at,
    notifiedAt: now,
    notify,
    alert: taskAlertPayload(task, alert),
    audit: {
      kind: alert.change === "opened" ? `task.${alert.condition}` : `task.${alert.condition}.${alert.change}`,
      message: auditMessage(task, alert),
      // The output tail stays out of the audit trail: it is the job's, not gaia's, to keep.
      details: { lines: alert.details, ...(alert.durationMs !== undefined ? { durationMs: alert.durationMs } : {}), ...(silent ? { sent: false } : {}) },
    },
  };
}

/** The outbox payload of a task alert: data for `bot/render/`, never HTML. */
export function taskAlertPayload(task: string, alert: TaskAlert): AlertFacts {
  return {
    subjectKind: "task",
    subject: task,
    condition: alert.condition,
    change: alert.change,
    at: alert.at.toISOString(),
    openedAt: alert.openedAt.toISOString(),
    ...(alert.durationMs !== undefined ? { durationMs: alert.durationMs } : {}),
    ...(alert.details.length ? { details: alert.details } : {}),
    ...(alert.pre ? { pre: alert.pre } : {}),
    ...(alert.change === "resolved" ? {} : { actions: ["ack", "mute"] as AlertFacts["actions"] }),
  };
}

function auditMessage(task: string, alert: TaskAlert): string {
  const what = alert.condition === "missed" ? "missed its expected run" : alert.condition === "timeout" ? "was stopped by its timeout" : "failed";
  switch (alert.change) {
    case "opened":
      return `task ${task} ${what}`;
    case "resolved":
      return alert.condition === "missed" ? `task ${task} ran successfully again` : `task ${task} succeeded again`;
    case "reminder":
      return `task ${task} ${alert.condition === "missed" ? "still missing its run" : "still failing"}`;
  }
}
