/**
 * The probe's fast path: what the last full scan of /proc found for each service, so that while
 * those processes are still the same ones (same pid AND same start time: a reused pid starts at a
 * different tick), a cycle reads only their stat files instead of every process's.
 *
 * A full scan is still needed whenever the answer could differ from the last one: a service with
 * no live process (it may have come back under a new pid), a known process gone, replaced or
 * renamed, a pidfile rewritten, and periodically, because a name can match a process started
 * since (a new worker of a multi-process service, a second instance).
 */
import type { ServiceConfig } from "../config/types.js";
import type { MatchedService } from "./match-services.js";
import type { ProcessInfo, ProcessTable } from "./process-table.js";

/** While a service has more than one process, a full scan at least this often: new workers are found within it. */
export const MULTI_PROCESS_RESCAN_MS = 60_000;

/**
 * Whatever else, a full scan at least this often: a second instance of a one-process service, or a
 * process whose command line changed in place (matching by `args`), is seen within it.
 */
export const FULL_SCAN_MAX_AGE_MS = 5 * 60_000;

/** What identifies a process across reads: a reused pid has another start time, an exec'd one another name. */
interface Identity {
  startTicks: number;
  name: string;
}

/** A pidfile as it was when the last full scan matched it. */
interface PidFileState {
  pid: number | undefined;
  writtenAt: number | undefined;
}

/** The pidfile reads the fast path repeats each cycle (cheap: no /proc listing). */
export interface PidFileLookups {
  readPidFile(path: string): number | undefined;
  pidFileWrittenAt(path: string): number | undefined;
}

/** Remembers the last full scan's matches and says when a cycle may skip the next one. */
export class KnownProcesses {
  private matched: MatchedService[] | undefined;
  private identities = new Map<number, Identity>();
  private pidFiles = new Map<string, PidFileState>();
  private scannedAt = 0;

  constructor(
    private readonly services: readonly ServiceConfig[],
    private readonly lookups: PidFileLookups,
  ) {}

  /** Records a full scan's matches (and the pidfiles as they were read for it). */
  remember(matched: readonly MatchedService[], table: ProcessTable, pidFiles: ReadonlyMap<string, PidFileState>): void {
    this.matched = matched.map((m) => ({ ...m, pids: [...m.pids] }));
    this.identities = new Map();
    for (const m of matched) {
      for (const pid of m.pids) {
        const info = table.processes.get(pid);
        if (info) this.identities.set(pid, { startTicks: info.startTicks, name: info.name });
      }
    }
    this.pidFiles = new Map(pidFiles);
    this.scannedAt = table.takenAt;
  }

  /**
   * The pids a fast cycle reads, or undefined when this cycle needs a full scan before reading
   * anything: no full scan yet, a process or pidfile service down, a pidfile changed, or the
   * rescan period over (see the constants above).
   */
  fastPids(now: number): number[] | undefined {
    const matched = this.matched;
    if (matched === undefined) return undefined;
    let multiProcess = false;
    for (const [i, service] of this.services.entries()) {
      const kind = service.match.kind;
      if (kind !== "process" && kind !== "pidfile") continue;
      const m = matched[i];
      if (!m.up || m.pids.length === 0) return undefined;
      if (m.pids.length > 1) multiProcess = true;
      if (service.match.kind === "pidfile") {
        const path = service.match.pidfile;
        const before = this.pidFiles.get(path);
        if (before === undefined || this.lookups.readPidFile(path) !== before.pid || this.lookups.pidFileWrittenAt(path) !== before.writtenAt) return undefined;
      }
    }
    const age = now - this.scannedAt;
    if (age < 0 || age >= (multiProcess ? MULTI_PROCESS_RESCAN_MS : FULL_SCAN_MAX_AGE_MS)) return undefined;
    return [...this.identities.keys()];
  }

  /**
   * The last full scan's matches, when every known process is in `table` as it was (same start
   * time and name, not a zombie); undefined when one died or was replaced: scan fully then.
   */
  matchedIn(table: ProcessTable): MatchedService[] | undefined {
    if (this.matched === undefined) return undefined;
    for (const [pid, identity] of this.identities) {
      const info = table.processes.get(pid);
      if (info === undefined || !sameProcess(info, identity)) return undefined;
    }
    return this.matched.map((m) => ({ ...m, pids: [...m.pids] }));
  }
}

function sameProcess(info: ProcessInfo, identity: Identity): boolean {
  return info.startTicks === identity.startTicks && info.name === identity.name && info.state !== "Z" && info.state !== "X";
}
