/**
 * The "Gaia started" notice: sent on every start, it says whether the host rebooted since the
 * previous run and, when the last heartbeat is older than two periods, that the monitor itself
 * was down and from when to when (nobody watched the services meanwhile). `startReport` is pure;
 * `announceStart` reads the previous run's facts, records them and queues the notice.
 */
import type { AuditTrail } from "../entities/audit-trail.js";
import { LAST_HEARTBEAT_KEY, type StateStore } from "../entities/state-store.js";
import type { NoticePayload, StartNotice } from "./alert.js";
import type { Outbox } from "./outbox.js";

/** Where the host's boot time is remembered between runs (to tell a reboot). */
const BOOT_TIME_KEY = "host.bootTime";

export interface StartFacts {
  now: Date;
  /** The last heartbeat recorded before this start; undefined on a first start. */
  lastBeat?: Date;
  heartbeatEveryMs: number;
  /** The host's boot time as the previous run saw it; undefined on a first start. */
  previousBootTime?: Date;
  bootTime: Date;
  /** Services watched, in config order. */
  services: readonly string[];
}

/** What the notice says, and the facts for the audit trail. */
export interface StartReport {
  notice: NoticePayload;
  hostRebooted: boolean;
  /** Set when the monitor was not running for more than two heartbeat periods. */
  monitorDown?: { from: Date; to: Date };
}

/** Boot times closer than this are the same boot (portable boot times wobble by a second or two). */
const SAME_BOOT_TOLERANCE_MS = 60_000;

/** Builds the start notice; see the file comment. */
export function startReport(facts: StartFacts): StartReport {
  const hostRebooted =
    facts.previousBootTime !== undefined &&
    Math.abs(facts.bootTime.getTime() - facts.previousBootTime.getTime()) > SAME_BOOT_TOLERANCE_MS;
  const monitorDown =
    facts.lastBeat && facts.now.getTime() - facts.lastBeat.getTime() > 2 * facts.heartbeatEveryMs ? { from: facts.lastBeat, to: facts.now } : undefined;
  const start: StartNotice = {
    firstStart: !facts.lastBeat,
    ...(hostRebooted ? { rebootedAt: facts.bootTime.toISOString() } : {}),
    ...(monitorDown ? { monitorDown: { from: monitorDown.from.toISOString(), to: monitorDown.to.toISOString() } } : {}),
    services: [...facts.services],
  };
  return { notice: { title: "Gaia started", start }, hostRebooted, ...(monitorDown ? { monitorDown } : {}) };
}

export interface AnnounceStartDeps {
  state: StateStore;
  audit: AuditTrail;
  outbox: Outbox;
  /** The host's boot time now (monitor/host-figures.ts `readBootTime`). */
  bootTime: Date;
  heartbeatEveryMs: number;
  services: readonly string[];
  now: () => Date;
}

/**
 * Announces this start: the monitor's own downtime and a reboot as audit events, the boot time
 * remembered for the next start, and the notice queued in the outbox. Runs before the jobs start,
 * so the last heartbeat read here is still the previous run's.
 */
export async function announceStart(deps: AnnounceStartDeps): Promise<void> {
  const { state, audit, bootTime } = deps;
  const [lastBeat, previousBoot] = await Promise.all([state.get<string>(LAST_HEARTBEAT_KEY), state.get<string>(BOOT_TIME_KEY)]);
  const report = startReport({
    now: deps.now(),
    lastBeat: lastBeat ? new Date(lastBeat) : undefined,
    heartbeatEveryMs: deps.heartbeatEveryMs,
    previousBootTime: previousBoot ? new Date(previousBoot) : undefined,
    bootTime,
    services: deps.services,
  });
  if (report.monitorDown) {
    await audit.record({
      kind: "monitor.down",
      message: `The monitor was not running from ${report.monitorDown.from.toISOString()} to ${report.monitorDown.to.toISOString()}`,
      details: { from: report.monitorDown.from.toISOString(), to: report.monitorDown.to.toISOString() },
    });
  }
  if (report.hostRebooted) {
    await audit.record({ kind: "host.rebooted", message: `The host rebooted at ${bootTime.toISOString()}`, details: { bootTime: bootTime.toISOString() } });
  }
  await state.set(BOOT_TIME_KEY, bootTime.toISOString());
  await deps.outbox.enqueue({ kind: "notice", payload: report.notice });
}
