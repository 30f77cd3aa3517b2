/**
 * Turns the rules' transitions into what must survive: incident rows, audit events, outbox rows
 * and the rules' own state, all in ONE transaction per probe cycle. Either everything of a cycle
 * is stored or nothing is, so a crash can neither lose an alert nor announce one twice after a
 * restart (the restored state already knows what was announced).
 *
 * A full disk is the exception (and a lock another process keeps past the write's wait, e.g. an
 * `sqlite3` shell left in a transaction): when the cycle's transaction fails so, its alerts
 * are held in memory and sent from there (held-alerts.ts), and the cycle itself is kept (bounded)
 * to be written, in order, as soon as gaia.db can be written again, its alerts then stored as
 * already sent. Meanwhile the rules move on in memory, so nothing is announced twice.
 */
import { In, MoreThan, type DataSource, type EntityManager } from "typeorm";
import type { Logger } from "pino";
import type { AlertPayload } from "../alerts/alert.js";
import type { HeldAlerts } from "../alerts/held-alerts.js";
import { databaseTrouble } from "../entities/database-trouble.js";
import { OutboxMessage } from "../entities/outbox-message.js";
import { alertFromTransition } from "./alert-from-transition.js";
import type { Outbox } from "../alerts/outbox.js";
import type { ServiceConfig } from "../config/types.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { Incident } from "../entities/incident.js";
import type { StateStore } from "../entities/state-store.js";
import type { MonitorState, Transition } from "../monitor/rules.js";
import type { Snapshot } from "../monitor/snapshot.js";
import { IncidentLedger, type IncidentDecision } from "./incident-ledger.js";

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
  /** gaia.db could not be written (a full disk): the cycle is held in memory, its alerts sent from there. */
  held?: boolean;
}

/** Transitions of held cycles kept at most; older cycles are given up (their alerts were sent). */
const HELD_TRANSITIONS_MAX = 1000;

interface HeldCycle {
  transitions: readonly Transition[];
  state: MonitorState;
  snapshot: Snapshot;
}

export interface IncidentRecorderOptions {
  dataSource: DataSource;
  audit: AuditTrail;
  outbox: Outbox;
  state: StateStore;
  services: readonly ServiceConfig[];
  /** Where alerts wait while gaia.db cannot be written; without it, a full disk fails the cycle. */
  held?: HeldAlerts;
  logger?: Logger;
}

/** Stores each probe cycle's transitions and state; see the file comment. */
export class IncidentRecorder {
  private readonly services: Map<string, ServiceConfig>;
  private readonly ledger: IncidentLedger;
  private readonly heldCycles: HeldCycle[] = [];
  private heldTransitions = 0;

  constructor(private readonly options: IncidentRecorderOptions) {
    this.services = new Map(options.services.map((s) => [s.name, s]));
    this.ledger = new IncidentLedger({ audit: options.audit, outbox: options.outbox });
  }

  /**
   * Records a cycle: for each transition an incident change and an audit event, an outbox row
   * unless it is muted or suppressed, and the next state, in one transaction. Kicks delivery
   * after the commit when something was queued.
   */
  async record(input: HeldCycle): Promise<RecordedCycle> {
    try {
      await this.catchUp();
      return await this.store(input);
    } catch (error) {
      // Full, or locked by another process past the write's wait: the alerts must not wait for it.
      const trouble = databaseTrouble(error);
      if (!this.options.held || (trouble !== "full" && trouble !== "locked")) throw error;
      return this.hold(input);
    }
  }

  /** How many cycles wait in memory to be written. */
  get cyclesHeld(): number {
    return this.heldCycles.length;
  }

  /** Writes the held cycles, oldest first; stops (throwing) at the first that still cannot be written. */
  private async catchUp(): Promise<void> {
    if (this.heldCycles.length === 0) return;
    const count = this.heldCycles.length;
    while (this.heldCycles.length > 0) {
      const cycle = this.heldCycles[0];
      await this.store(cycle, { sentFromMemory: true });
      this.heldCycles.shift();
      this.heldTransitions -= cycle.transitions.length;
    }
    this.options.logger?.info({ cycles: count }, "gaia.db can be written again: stored the probe cycles held in memory");
  }

  /**
   * The cycle could not be written: its alerts go to the held queue (sent from memory) and the
   * cycle waits, bounded, for `catchUp`. Only reads here: they still work on a full disk.
   */
  private async hold(input: HeldCycle): Promise<RecordedCycle> {
    const result: RecordedCycle = { opened: 0, resolved: 0, reminders: 0, closed: 0, queued: [], held: true };
    for (const transition of input.transitions) {
      if (transition.change === "opened") result.opened++;
      else if (transition.change === "resolved") result.resolved++;
      else result.reminders++;
      if (transition.muted || transition.suppressed) continue;
      const service = transition.subject.kind === "service" ? this.services.get(transition.subject.name) : undefined;
      const alert = alertFromTransition(transition, { snapshot: input.snapshot, state: input.state, service });
      const incident = transition.change === "opened" ? null : await this.options.dataSource.getRepository(Incident).findOne({ where: { key: transition.key, status: "open" }, order: { id: "DESC" } }).catch(() => null);
      // As the ledger decides: a recovery of an incident the chat never heard of stays quiet.
      if (transition.change === "resolved" && incident?.muted && !incident.announced) continue;
      // An incident opened meanwhile has no row yet (id 0: its alert carries no buttons).
      const payload: AlertPayload = { ...alert, incidentId: incident?.id ?? 0 };
      this.options.held!.hold({ kind: "alert", payload });
      result.queued.push(payload);
    }
    if (input.transitions.length > 0) {
      this.heldCycles.push(input);
      this.heldTransitions += input.transitions.length;
      while (this.heldTransitions > HELD_TRANSITIONS_MAX && this.heldCycles.length > 1) {
        const given = this.heldCycles.shift()!;
        this.heldTransitions -= given.transitions.length;
        this.options.logger?.warn({ transitions: given.transitions.length }, "gave up a probe cycle held in memory (too many held); its alerts were sent, its history is lost");
      }
    }
    if (result.queued.length > 0) this.options.outbox.kick();
    return result;
  }

  private async store(input: HeldCycle, options: { sentFromMemory?: boolean } = {}): Promise<RecordedCycle> {
    const result: RecordedCycle = { opened: 0, resolved: 0, reminders: 0, closed: 0, queued: [] };
    await this.options.dataSource.transaction(async (manager) => {
      const outbox = manager.getRepository(OutboxMessage);
      const lastRowBefore = options.sentFromMemory ? ((await outbox.maximum("id")) ?? 0) : 0;
      for (const transition of input.transitions) {
        const payload = await this.recordTransition(manager, transition, input);
        if (transition.change === "opened") result.opened++;
        else if (transition.change === "resolved") result.resolved++;
        else result.reminders++;
        if (payload) result.queued.push(payload);
      }
      result.closed = await this.closeOrphans(manager, input.state, input.snapshot.at);
      await this.options.state.set(RULES_STATE_KEY, input.state, { manager });
      if (options.sentFromMemory) {
        // This cycle's alerts already went out from memory: its rows are history, not news.
        await outbox.update(
          { id: MoreThan(lastRowBefore), status: "pending" },
          { status: "delivered", deliveredAt: new Date(input.snapshot.at), lastError: "sent from memory while gaia.db could not be written" },
        );
      }
    });
    if (result.queued.length > 0 && !options.sentFromMemory) this.options.outbox.kick();
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
      await this.ledger.closeUnwatched(manager, incident, now, "it is no longer watched");
      closed++;
    }
    return closed;
  }

  private async recordTransition(
    manager: EntityManager,
    transition: Transition,
    context: { state: MonitorState; snapshot: Snapshot },
  ): Promise<AlertPayload | undefined> {
    const at = new Date(transition.at);
    const service = transition.subject.kind === "service" ? this.services.get(transition.subject.name) : undefined;
    const alert = alertFromTransition(transition, { snapshot: context.snapshot, state: context.state, service });
    const told = {
      at,
      notify: !transition.muted && !transition.suppressed,
      alert,
      audit: {
        kind: auditKind(transition),
        message: auditMessage(transition),
        details: {
          figures: transition.figures,
          ...(transition.durationMs !== undefined ? { durationMs: transition.durationMs } : {}),
          ...(transition.muted ? { muted: true } : {}),
          ...(transition.suppressed ? { suppressed: "flapping" } : {}),
          ...(alert.facts ? { facts: alert.facts } : {}),
        },
      },
    };
    const decision: IncidentDecision =
      transition.change === "opened"
        ? {
            kind: "open",
            key: transition.key,
            subjectKind: transition.subject.kind,
            subject: transition.subject.name,
            condition: transition.condition,
            openedAt: at,
            muted: transition.muted,
            figures: { ...transition.figures },
            ...told,
          }
        : { kind: transition.change === "resolved" ? "resolve" : "remind", ref: { key: transition.key }, figures: { last: { ...transition.figures } }, ...told };
    // The rules hold an incident gaia.db does not (a database restored from an older copy):
    // make the row now so the alert and /history still point at something real.
    const missing = () => openIncidentRow(transition, new Date(transition.openedAt), { ...transition.figures });
    const applied = await this.ledger.apply(manager, decision, missing);
    return applied.queued;
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
  const figure = value !== undefined && threshold !== undefined ? ` (${round(value)}${unit === "bytes" ? " bytes" : unit === "days" ? " days" : "%"} vs ${round(threshold)})` : "";
  if (transition.condition === "mount" && transition.change !== "reminder") {
    return transition.change === "opened" ? `${transition.figures.mount} is not mounted` : `${transition.figures.mount} is mounted again`;
  }
  if (transition.condition === "disk" && transition.figures.mount !== undefined && transition.change !== "reminder") {
    return `disk ${transition.figures.mount} ${transition.change === "opened" ? "at or above" : "back below"} its threshold${figure}`;
  }
  if (transition.condition === "certificate" && transition.change !== "reminder") {
    return transition.change === "opened" ? `${who} TLS certificate expires within ${round(threshold ?? 0)} days${figure}` : `${who} TLS certificate renewed${figure}`;
  }
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

/** The open incident row of a transition's condition that gaia.db lost. */
function openIncidentRow(transition: Transition, openedAt: Date, figures: Record<string, unknown>): Omit<Incident, "id"> {
  return {
    key: transition.key,
    subjectKind: transition.subject.kind,
    subjectName: transition.subject.name,
    condition: transition.condition,
    status: "open",
    openedAt,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    muted: false,
    announced: false,
    lastNotifiedAt: null,
    figures,
  };
}
