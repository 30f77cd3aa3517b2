/**
 * The one incident ledger of services, the host and tasks. Rule sets decide (open, update, remind,
 * resolve) as plain data; `IncidentLedger.apply` writes what a decision means, inside the caller's
 * transaction: the incident row (with what the chat was told: `announced`, `lastNotifiedAt`), an
 * audit event and an outbox row. Whether a change reaches the chat is decided here, once.
 */
import type { EntityManager } from "typeorm";
import type { AlertPayload } from "../alerts/alert.js";
import type { Outbox } from "../alerts/outbox.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { Incident } from "../entities/incident.js";

/** The alert a decision would send, without the incident id (the ledger knows it once the row exists). */
export type AlertFacts = Omit<AlertPayload, "incidentId">;

/** The audit event a decision leaves (its wording comes with it). */
export interface AuditNote {
  kind: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Where a decision's incident is: by row id, or the newest open row of a condition key. */
export type IncidentRef = { incidentId: number } | { key: string };

interface Told {
  /** When the change happened (the audit event's time). */
  at: Date;
  /** When its alert fell due, for reminders (default `at`). */
  notifiedAt?: Date;
  /** The rules would tell the chat (not muted, not suppressed). The ledger may still keep it quiet. */
  notify: boolean;
  alert: AlertFacts;
  /** Omitted: the change leaves no audit event (a quiet task reminder). */
  audit?: AuditNote;
}

/** What a rule set decided about one incident, as data. */
export type IncidentDecision =
  | ({
      kind: "open";
      key: string;
      subjectKind: "service" | "host" | "task";
      subject: string;
      condition: string;
      openedAt: Date;
      muted: boolean;
      figures: Record<string, unknown>;
    } & Told)
  | { kind: "update"; ref: IncidentRef; figures: Record<string, unknown> }
  | ({ kind: "remind"; ref: IncidentRef; figures?: Record<string, unknown> } & Told)
  | ({ kind: "resolve"; ref: IncidentRef; figures?: Record<string, unknown> } & Told);

/** What applying one decision did. */
export interface AppliedDecision {
  /** The row after the change; undefined when the decision's incident is gone (update, task remind/resolve). */
  incident?: Incident;
  /** The alert queued for the chat, if any. */
  queued?: AlertPayload;
}

/** Opens the row an update/remind/resolve needs when gaia.db lost it (a database restored from an older copy). */
export type MissingRow = (ref: IncidentRef) => Omit<Incident, "id"> | undefined;

/** See the file comment. */
export class IncidentLedger {
  constructor(private readonly options: { audit: AuditTrail; outbox: Outbox }) {}

  /** Applies one decision within `manager`'s transaction. */
  async apply(manager: EntityManager, decision: IncidentDecision, missing?: MissingRow): Promise<AppliedDecision> {
    const repo = manager.getRepository(Incident);
    if (decision.kind === "open") {
      const incident = await repo.save(
        repo.create({
          key: decision.key,
          subjectKind: decision.subjectKind,
          subjectName: decision.subject,
          condition: decision.condition,
          status: "open",
          openedAt: decision.openedAt,
          resolvedAt: null,
          acknowledgedAt: null,
          acknowledgedBy: null,
          muted: decision.muted,
          announced: decision.notify,
          lastNotifiedAt: decision.notifiedAt ?? decision.at,
          figures: { ...decision.figures },
        }),
      );
      return this.tell(manager, incident, decision, decision.notify);
    }

    let incident = await find(manager, decision.ref);
    if (!incident) {
      const row = missing?.(decision.ref);
      if (!row) return {};
      incident = await repo.save(repo.create(row));
    }
    if (decision.figures) incident.figures = { ...(incident.figures ?? {}), ...decision.figures };
    if (decision.kind === "update") {
      await repo.save(incident);
      return { incident };
    }
    let send = decision.notify;
    if (decision.kind === "resolve") {
      incident.status = "resolved";
      incident.resolvedAt = decision.at;
      // A recovery is news only to those who heard of the problem: an incident opened while
      // muted ends as silently as it began, unless a reminder spoke of it once the mute ended;
      // one that was announced is closed in the chat too, muted or not.
      send = send && (!incident.muted || incident.announced);
    } else {
      incident.lastNotifiedAt = decision.notifiedAt ?? decision.at;
      if (send) incident.announced = true;
    }
    await repo.save(incident);
    return this.tell(manager, incident, decision, send);
  }

  /** Resolves an incident nobody watches any more (removed from gaia.yml), without an alert. */
  async closeUnwatched(manager: EntityManager, incident: Incident, now: Date, why: string): Promise<void> {
    incident.status = "resolved";
    incident.resolvedAt = now;
    await manager.getRepository(Incident).save(incident);
    await this.options.audit.record(
      {
        kind: "incident.closed",
        subject: incident.subjectName,
        at: now,
        message: `Closed incident #${incident.id} (${incident.key}) without an alert: ${why}`,
        details: { incidentId: incident.id, key: incident.key },
      },
      { manager },
    );
  }

  private async tell(manager: EntityManager, incident: Incident, told: Told, send: boolean): Promise<AppliedDecision> {
    if (told.audit) {
      await this.options.audit.record(
        { kind: told.audit.kind, subject: incident.subjectName, at: told.at, message: told.audit.message, details: { incidentId: incident.id, ...told.audit.details } },
        { manager },
      );
    }
    if (!send) return { incident };
    const payload: AlertPayload = { ...told.alert, incidentId: incident.id };
    await this.options.outbox.enqueue({ kind: "alert", payload }, { manager });
    return { incident, queued: payload };
  }
}

async function find(manager: EntityManager, ref: IncidentRef): Promise<Incident | null> {
  const repo = manager.getRepository(Incident);
  if ("incidentId" in ref) return repo.findOneBy({ id: ref.incidentId });
  return repo.findOne({ where: { key: ref.key, status: "open" }, order: { id: "DESC" } });
}
