/**
 * Turns the rules' transitions into what must survive: incident rows, audit events, outbox rows
 * and the rules' own state, all in ONE transaction per probe cycle. Either everything of a cycle
 * is stored or nothing is, so a crash can neither lose an alert nor announce one twice after a
 * restart (the restored state already knows what was announced).
 */
import { In, type DataSource, type EntityManager, type Repository } from "typeorm";
import type { AlertPayload } from "../alerts/alert.js";
import { alertFromTransition } from "./alert-from-transition.js";
import type { Outbox } from "../alerts/outbox.js";
import type { ServiceConfig } from "../config/types.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { Incident } from "../entities/incident.js";
import type { StateStore } from "../entities/state-store.js";
import type { MonitorState, Transition } from "../monitor/rules.js";
import type { Snapshot } from "../monitor/snapshot.js";

/** Where the rules' state is kept in gaia.db's state table. */
export const RULES_STATE_KEY = "monitor.rules";

/** What one cycle stored. */
export interface RecordedCycle {
  opened: number;
  resolved: number;
  reminders: number;
  /** Incidents closed silently because the rules no longer watch them (removed from gaia.yml). */
  closed: number;
  /** Alerts queued for Telegram (muted and suppressed transitions are not). */
  queued: AlertPayload[];
}

export interface IncidentRecorderOptions {
  dataSource: DataSource;
  audit: AuditTrail;
  outbox: Outbox;
  state: StateStore;
  services: readonly ServiceConfig[];
}

/** Stores each probe cycle's transitions and state; see the file comment. */
export class IncidentRecorder {
  private readonly services: Map<string, ServiceConfig>;

  constructor(private readonly options: IncidentRecorderOptions) {
    this.services = new Map(options.services.map((s) => [s.name, s]));
  }

  /**
   * Records a cycle: for each transition an incident change and an audit event, an outbox row
   * unless it is muted or suppressed, and the next state, in one transaction. Kicks delivery
   * after the commit when something was queued.
   */
  async record(input: { transitions: readonly Transition[]; state: MonitorState; snapshot: Snapshot }): Promise<RecordedCycle> {
    const result: RecordedCycle = { opened: 0, resolved: 0, reminders: 0, closed: 0, queued: [] };
    await this.options.dataSource.transaction(async (manager) => {
      for (const transition of input.transitions) {
        const payload = await this.recordTransition(manager, transition, input);
        if (transition.change === "opened") result.opened++;
        else if (transition.change === "resolved") result.resolved++;
        else result.reminders++;
        if (payload) result.queued.push(payload);
      }
      result.closed = await this.closeOrphans(manager, input.state, input.snapshot.at);
      await this.options.state.set(RULES_STATE_KEY, input.state, { manager });
    });
    if (result.queued.length > 0) this.options.outbox.kick();
    return result;
  }

  /**
   * Resolves open service and host incidents that the rules no longer hold open (a service or a
   * threshold removed from gaia.yml, a state that could not be restored), so that none stays open
   * forever. Runs inside each cycle's transaction; returns how many were closed.
   */
  private async closeOrphans(manager: EntityManager, state: MonitorState, now: Date): Promise<number> {
    let closed = 0;
    const open = await manager.getRepository(Incident).find({ where: { status: "open", subjectKind: In(["service", "host"]) } });
    for (const incident of open) {
      if (Object.hasOwn(state.conditions, incident.key) && state.conditions[incident.key].status === "open") continue;
      incident.status = "resolved";
      incident.resolvedAt = now;
      await manager.getRepository(Incident).save(incident);
      await this.options.audit.record(
        {
          kind: "incident.closed",
          subject: incident.subjectName,
          at: now,
          message: `Closed incident #${incident.id} (${incident.key}) without an alert: it is no longer watched`,
          details: { incidentId: incident.id, key: incident.key },
        },
        { manager },
      );
      closed++;
    }
    return closed;
  }

  private async recordTransition(
    manager: EntityManager,
    transition: Transition,
    context: { state: MonitorState; snapshot: Snapshot },
  ): Promise<AlertPayload | undefined> {
    const repo = manager.getRepository(Incident);
    const at = new Date(transition.at);
    let incident: Incident | null;
    let send = !transition.muted && !transition.suppressed;

    if (transition.change === "opened") {
      incident = await repo.save(openIncidentRow(repo, transition, at, transition.muted, { ...transition.figures, ...(send ? { announced: true } : {}) }));
    } else {
      incident = await repo.findOne({ where: { key: transition.key, status: "open" }, order: { id: "DESC" } });
      if (!incident) {
        // The rules hold an incident gaia.db does not (a database restored from an older copy):
        // make the row now so the alert and /history still point at something real.
        incident = await repo.save(openIncidentRow(repo, transition, new Date(transition.openedAt), false, { ...transition.figures }));
      }
      if (transition.change === "resolved") {
        incident.status = "resolved";
        incident.resolvedAt = at;
        // A recovery is news only to those who heard of the problem: an incident opened while
        // muted ends as silently as it began, unless a reminder spoke of it once the mute ended;
        // one that was announced is closed in the chat too, muted or not.
        send = !transition.suppressed && (!incident.muted || incident.figures?.announced === true);
      }
      incident.figures = { ...(incident.figures ?? {}), last: { ...transition.figures }, ...(send && transition.change === "reminder" ? { announced: true } : {}) };
      await repo.save(incident);
    }

    const service = transition.subject.kind === "service" ? this.services.get(transition.subject.name) : undefined;
    const payload = alertFromTransition(transition, { incidentId: incident.id, snapshot: context.snapshot, state: context.state, service });
    await this.options.audit.record(
      {
        kind: auditKind(transition),
        subject: transition.subject.name,
        at,
        message: auditMessage(transition),
        details: {
          incidentId: incident.id,
          figures: transition.figures,
          ...(transition.durationMs !== undefined ? { durationMs: transition.durationMs } : {}),
          ...(transition.muted ? { muted: true } : {}),
          ...(transition.suppressed ? { suppressed: "flapping" } : {}),
          ...(payload.details ? { details: payload.details } : {}),
        },
      },
      { manager },
    );
    if (!send) return undefined;
    await this.options.outbox.enqueue({ kind: "alert", payload }, { manager });
    return payload;
  }
}

/** `service.down`, `service.down.resolved`, `host.cpu.reminder`... */
function auditKind(transition: Transition): string {
  const base = `${transition.subject.kind}.${transition.condition}`;
  return transition.change === "opened" ? base : `${base}.${transition.change}`;
}

function auditMessage(transition: Transition): string {
  const who = transition.subject.kind === "host" ? "host" : transition.subject.name;
  const { value, threshold, unit } = transition.figures;
  const figure = value !== undefined && threshold !== undefined ? ` (${round(value)}${unit === "bytes" ? " bytes" : "%"} vs ${round(threshold)})` : "";
  switch (transition.change) {
    case "opened":
      return transition.condition === "down" ? `${who} is down` : transition.condition === "flapping" ? `${who} is flapping` : `${who} ${transition.condition} at or above its threshold${figure}`;
    case "resolved":
      return transition.condition === "down" ? `${who} is back up` : transition.condition === "flapping" ? `${who} stopped flapping` : `${who} ${transition.condition} back below its threshold${figure}`;
    case "reminder":
      return `${who} ${transition.condition} still open`;
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A new open incident row for a transition's condition. */
function openIncidentRow(
  repo: Repository<Incident>,
  transition: Transition,
  openedAt: Date,
  muted: boolean,
  figures: Record<string, unknown>,
): Incident {
  return repo.create({
    key: transition.key,
    subjectKind: transition.subject.kind,
    subjectName: transition.subject.name,
    condition: transition.condition,
    status: "open",
    openedAt,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    muted,
    figures,
  });
}
