/**
 * The "Gaia started" notice: sent on every start, it says whether the host rebooted since the
 * previous run and, when the last heartbeat is older than two periods, that the monitor itself
 * was down and from when to when (nobody watched the services meanwhile). `startReport` is pure;
 * `announceStart` reads the previous run's facts, records them and queues the notice.
 */
import { formatDuration } from "../config/durations.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { LAST_HEARTBEAT_KEY, type StateStore } from "../entities/state-store.js";
import type { NoticePayload } from "./alert.js";
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
  const lines: string[] = [];
  const hostRebooted =
    facts.previousBootTime !== undefined &&
    Math.abs(facts.bootTime.getTime() - facts.previousBootTime.getTime()) > SAME_BOOT_TOLERANCE_MS;
  if (hostRebooted) lines.push(`The host rebooted at ${localTime(facts.bootTime)}.`);

  let monitorDown: StartReport["monitorDown"];
  if (facts.lastBeat && facts.now.getTime() - facts.lastBeat.getTime() > 2 * facts.heartbeatEveryMs) {
    monitorDown = { from: facts.lastBeat, to: facts.now };
    lines.push(
      `The monitor itself was down from ${localTime(facts.lastBeat)} to ${localTime(facts.now)} (${formatDuration(facts.now.getTime() - facts.lastBeat.getTime())}): nothing was watched meanwhile.`,
    );
  }
  if (!facts.lastBeat) lines.push("First start with this gaia.db.");
  lines.push(
    facts.services.length === 0
      ? "Watching the host; no services are configured in gaia.yml."
      : `Watching the host and ${facts.services.length} service${facts.services.length === 1 ? "" : "s"}: ${facts.services.join(", ")}.`,
  );
  return { notice: { title: "Gaia started", lines }, hostRebooted, ...(monitorDown ? { monitorDown } : {}) };
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

/** "2025-03-01 14:05" in the host's time zone. */
function localTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
