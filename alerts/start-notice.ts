/**
 * The "Gaia started" notice: sent on every start, it says whether the host rebooted since the
 * previous run and, when the last heartbeat is older than two periods, that the monitor itself
 * was down and from when to when (nobody watched the services meanwhile). Pure.
 */
import { formatDuration } from "../config/durations.js";
import type { NoticePayload } from "./alert.js";

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

/** "2025-03-01 14:05" in the host's time zone. */
function localTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
