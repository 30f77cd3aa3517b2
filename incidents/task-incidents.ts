/**
 * Turns the task rules' decisions into what must survive: incident rows (subject kind `task`),
 * audit events and outbox rows, written with the caller's transaction so that a run, the incident
 * it opens and its alert commit together or not at all.
 */
import type { EntityManager } from "typeorm";
import type { AlertPayload } from "../alerts/alert.js";
import type { Outbox } from "../alerts/outbox.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { Incident } from "../entities/incident.js";
import type { TaskAlert, TaskDecision } from "../tasks/task-rules.js";

/** Reminder bookkeeping of one open task incident (kept in the state table beside the rows). */
export interface IncidentNotice {
  /** ISO: when the last opened or reminder alert fell due. */
  lastNotifiedAt: string;
  /** Whether an alert about it was queued (not when it opened muted and stayed so). */
  announced: boolean;
}

/** What applying decisions changed. */
export interface AppliedDecisions {
  /** The reminder bookkeeping after the decisions, by incident id. */
  notices: Record<string, IncidentNotice>;
  /** How many alerts were queued (delivery should be kicked after the commit). */
  queued: number;
}

/** Records task decisions; see the file comment. */
export class TaskIncidentRecorder {
  constructor(private readonly options: { audit: AuditTrail; outbox: Outbox }) {}

  /** Applies the decisions within `manager`'s transaction; returns the next reminder bookkeeping. */
  async apply(manager: EntityManager, decisions: readonly TaskDecision[], notices: Readonly<Record<string, IncidentNotice>>, now: Date): Promise<AppliedDecisions> {
    const next: Record<string, IncidentNotice> = { ...notices };
    const repo = manager.getRepository(Incident);
    let queued = 0;
    for (const decision of decisions) {
      switch (decision.kind) {
        case "open": {
          const incident = await repo.save(
            repo.create({
              key: decision.key,
              subjectKind: "task",
              subjectName: decision.task,
              condition: decision.condition,
              status: "open",
              openedAt: decision.openedAt,
              resolvedAt: null,
              acknowledgedAt: null,
              acknowledgedBy: null,
              muted: decision.muted,
              figures: { ...decision.figures },
            }),
          );
          next[String(incident.id)] = { lastNotifiedAt: now.toISOString(), announced: decision.notify };
          await this.audit(manager, decision.task, incident.id, decision.alert, decision.muted);
          if (decision.notify) queued += await this.enqueue(manager, decision.task, incident.id, decision.alert);
          break;
        }
        case "update": {
          const incident = await repo.findOneBy({ id: decision.incidentId });
          if (!incident) break;
          incident.figures = { ...(incident.figures ?? {}), ...decision.figures };
          await repo.save(incident);
          break;
        }
        case "resolve": {
          const incident = await repo.findOneBy({ id: decision.incidentId });
          if (!incident) break;
          incident.status = "resolved";
          incident.resolvedAt = decision.resolvedAt;
          await repo.save(incident);
          delete next[String(incident.id)];
          await this.audit(manager, decision.task, incident.id, decision.alert, !decision.notify);
          if (decision.notify) queued += await this.enqueue(manager, decision.task, incident.id, decision.alert);
          break;
        }
        case "remind": {
          const previous = next[String(decision.incidentId)];
          next[String(decision.incidentId)] = { lastNotifiedAt: now.toISOString(), announced: (previous?.announced ?? false) || decision.notify };
          if (decision.notify) {
            await this.audit(manager, decision.task, decision.incidentId, decision.alert, false);
            queued += await this.enqueue(manager, decision.task, decision.incidentId, decision.alert);
          }
          break;
        }
      }
    }
    return { notices: next, queued };
  }

  private async enqueue(manager: EntityManager, task: string, incidentId: number, alert: TaskAlert): Promise<number> {
    await this.options.outbox.enqueue({ kind: "alert", payload: taskAlertPayload(task, incidentId, alert) }, { manager });
    return 1;
  }

  private async audit(manager: EntityManager, task: string, incidentId: number, alert: TaskAlert, silent: boolean): Promise<void> {
    await this.options.audit.record(
      {
        kind: alert.change === "opened" ? `task.${alert.condition}` : `task.${alert.condition}.${alert.change}`,
        subject: task,
        at: alert.at,
        message: auditMessage(task, alert),
        // The output tail stays out of the audit trail: it is the job's, not gaia's, to keep.
        details: { incidentId, lines: alert.details, ...(alert.durationMs !== undefined ? { durationMs: alert.durationMs } : {}), ...(silent ? { sent: false } : {}) },
      },
      { manager },
    );
  }
}

/** The outbox payload of a task alert: data for `bot/render/`, never HTML. */
export function taskAlertPayload(task: string, incidentId: number, alert: TaskAlert): AlertPayload {
  return {
    subjectKind: "task",
    subject: task,
    condition: alert.condition,
    change: alert.change,
    incidentId,
    at: alert.at.toISOString(),
    openedAt: alert.openedAt.toISOString(),
    ...(alert.durationMs !== undefined ? { durationMs: alert.durationMs } : {}),
    ...(alert.details.length ? { details: alert.details } : {}),
    ...(alert.pre ? { pre: alert.pre } : {}),
    ...(alert.change === "resolved" ? {} : { actions: ["ack", "mute"] as AlertPayload["actions"] }),
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
