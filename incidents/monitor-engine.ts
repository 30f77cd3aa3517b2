/**
 * The imperative shell around the pure rules: probe → rules → incidents/outbox/state, once per
 * cycle, plus the changes admins make to the rules' state (acknowledging). It owns the rules'
 * state in memory and is the only writer of it; cycles and acknowledgements run one at a time,
 * so a button press can never be overwritten by a cycle that started before it.
 */
import type { DataSource } from "typeorm";
import type { Logger } from "pino";
import type { MuteList } from "../alerts/mute-list.js";
import type { GaiaConfig } from "../config/types.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { Incident } from "../entities/incident.js";
import type { StateStore } from "../entities/state-store.js";
import { RULES_STATE_KEY, type IncidentRecorder, type RecordedCycle } from "./incident-recorder.js";
import type { LatestSnapshot } from "../monitor/latest-snapshot.js";
import type { Probe } from "../monitor/probe.js";
import { acknowledge, emptyState, evaluate, restoreState, ruleSettingsFrom, type MonitorState, type Transition } from "../monitor/rules.js";
import type { SampleRecorder } from "../queries/sample-recorder.js";
import type { Snapshot } from "../monitor/snapshot.js";
import { openMaintenance, type OpenMaintenance } from "../monitor/maintenance-windows.js";
import type { Outbox } from "../alerts/outbox.js";

export interface MonitorEngineOptions {
  settings: GaiaConfig;
  probe: Probe;
  recorder: IncidentRecorder;
  latest: LatestSnapshot;
  mutes: MuteList;
  state: StateStore;
  dataSource: DataSource;
  audit: AuditTrail;
  samples?: SampleRecorder;
  /** Where the end of a maintenance window with incidents still open is announced. */
  outbox?: Outbox;
  logger: Logger;
  now: () => Date;
}

/** What one cycle saw and did. */
export interface CycleResult {
  snapshot: Snapshot;
  transitions: Transition[];
  recorded: RecordedCycle;
}

/** The answer to an acknowledgement, for the button's reply. */
export type AcknowledgeOutcome =
  | { kind: "acknowledged"; incident: Incident }
  | { kind: "already"; incident: Incident }
  | { kind: "resolved"; incident: Incident }
  | { kind: "unknown" };

/** See the file comment. */
export class MonitorEngine {
  private state: MonitorState = emptyState();
  /** The maintenance windows open at the previous cycle, by key, to notice their start and end. */
  private maintenance = new Map<string, OpenMaintenance>();
  private queue: Promise<unknown> = Promise.resolve();
  private starting?: Promise<void>;

  constructor(private readonly options: MonitorEngineOptions) {}

  /**
   * Restores the rules' state from gaia.db (so an incident that is still open after a restart is
   * not announced again) and loads the mutes. Runs once; the first cycle or acknowledgement
   * waits for it.
   */
  start(): Promise<void> {
    if (!this.starting) {
      const starting = this.exclusive(async () => {
        this.state = restoreState(await this.options.state.get(RULES_STATE_KEY));
        await this.options.mutes.load();
      });
      this.starting = starting;
      // A failed start (say, the database was busy) is tried again by the next caller.
      starting.catch(() => {
        if (this.starting === starting) this.starting = undefined;
      });
    }
    return this.starting;
  }

  /** One probe cycle: sample, publish the snapshot, evaluate the rules, store the outcome. */
  async runCycle(): Promise<CycleResult> {
    await this.start();
    return this.exclusive(async () => {
      const snapshot = await this.options.probe.sample();
      this.options.latest.update(snapshot);
      const now = this.options.now();
      const windows = openMaintenance(this.options.settings.maintenance ?? [], now);
      // An open window mutes its services like /mute would: incidents recorded, alerts not sent.
      const windowMutes = windows.flatMap((w) => w.services.map((subject) => ({ subject, until: w.until })));
      const rules = ruleSettingsFrom(this.options.settings, [...this.options.mutes.active(), ...windowMutes]);
      const next = evaluate(this.state, snapshot, rules, now);
      const recorded = await this.options.recorder.record({ transitions: next.transitions, state: next.state, snapshot });
      if (recorded.closed > 0) this.options.logger.info({ closed: recorded.closed }, "closed incidents that are no longer watched");
      // Only once stored: a failed transaction leaves the old state, and the next cycle retries.
      this.state = next.state;
      await this.noticeMaintenance(windows, now);
      if (this.options.samples) {
        try {
          await this.options.samples.record(snapshot);
        } catch (error) {
          this.options.logger.warn({ err: error }, "could not store the probe's samples");
        }
      }
      return { snapshot, transitions: next.transitions, recorded };
    });
  }

  /** The rules' current state (a copy), for /status and tests. */
  currentState(): MonitorState {
    return structuredClone(this.state);
  }

  /**
   * Acknowledges an open incident: recorded on its row and in the audit trail, and its reminders
   * stop until it resolves. Already acknowledged, resolved and unknown incidents are reported as
   * such, never as errors.
   */
  async acknowledge(incidentId: number, actor: string): Promise<AcknowledgeOutcome> {
    await this.start();
    return this.exclusive(async () => {
      const repo = this.options.dataSource.getRepository(Incident);
      const incident = await repo.findOneBy({ id: incidentId });
      if (!incident) return { kind: "unknown" } as const;
      if (incident.status !== "open") return { kind: "resolved", incident } as const;
      if (incident.acknowledgedAt) return { kind: "already", incident } as const;
      const now = this.options.now();
      const nextState = acknowledge(this.state, incident.key, now);
      await this.options.dataSource.transaction(async (manager) => {
        incident.acknowledgedAt = now;
        incident.acknowledgedBy = actor;
        await manager.getRepository(Incident).save(incident);
        await this.options.audit.record(
          {
            kind: "incident.acknowledged",
            actor,
            subject: incident.subjectName,
            at: now,
            message: `Acknowledged incident #${incident.id} (${incident.key}); no more reminders until it resolves`,
            details: { incidentId: incident.id, key: incident.key },
          },
          { manager },
        );
        if (nextState !== this.state) await this.options.state.set(RULES_STATE_KEY, nextState, { manager });
      });
      this.state = nextState;
      return { kind: "acknowledged", incident } as const;
    });
  }

  /**
   * Audits each maintenance window as it opens and closes; at its close, incidents of its
   * services that are still open (their alerts were silenced) are announced in one notice.
   */
  private async noticeMaintenance(windows: OpenMaintenance[], now: Date): Promise<void> {
    const open = new Map(windows.map((w) => [w.key, w]));
    for (const [key, window] of open) {
      if (this.maintenance.has(key)) continue;
      await this.options.audit.record({
        kind: "maintenance.started",
        at: now,
        message: `Maintenance window started for ${window.services.join(", ")} until ${window.until.toISOString()}`,
        details: { services: [...window.services], until: window.until.toISOString() },
      });
    }
    for (const [key, window] of this.maintenance) {
      if (open.has(key)) continue;
      const repo = this.options.dataSource.getRepository(Incident);
      const all = window.services.includes("all");
      const stillOpen = (await repo.findBy({ status: "open" })).filter((i) => all || window.services.includes(i.subjectName));
      await this.options.audit.record({
        kind: "maintenance.ended",
        at: now,
        message: `Maintenance window ended for ${window.services.join(", ")}; ${stillOpen.length} incident(s) still open`,
        details: { services: [...window.services], stillOpen: stillOpen.map((i) => i.key) },
      });
      if (stillOpen.length > 0 && this.options.outbox) {
        await this.options.outbox.enqueue({
          kind: "notice",
          payload: {
            title: "Maintenance ended",
            maintenance: {
              services: [...window.services],
              startedAt: window.startedAt.toISOString(),
              endedAt: window.until.toISOString(),
              stillOpen: stillOpen.map((i) => ({ subject: i.subjectName, condition: i.condition, openedAt: i.openedAt.toISOString() })),
            },
          },
        });
      }
    }
    this.maintenance = open;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
