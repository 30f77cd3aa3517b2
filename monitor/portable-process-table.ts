/**
 * The process table where there is no /proc (macOS, the BSDs, Windows), built with find-process
 * for names and command lines and pidusage for CPU time and memory.
 *
 * Cost, and why Linux does not use it: find-process runs `ps ax` (PowerShell on Windows) and
 * pidusage runs `ps -p <all pids>` (wmic/PowerShell on Windows), so each snapshot spawns two child
 * processes, each of which walks the whole process table again. That is tens of milliseconds and
 * two fork/execs every cycle, against a few milliseconds and none for /proc.
 */
import { uptime as osUptime } from "node:os";
import type { ProcessInfo, ProcessTable } from "./process-table.js";

/** Child processes one portable snapshot starts: `ps ax` (find-process) and `ps -p` (pidusage). */
export const PORTABLE_SPAWNS_PER_SNAPSHOT = 2;

/** Options of {@link readPortableProcessTable}. */
export interface PortableProcessTableOptions {
  /** Timestamp to record, ms since the epoch; default Date.now(). */
  takenAt?: number;
  /** The previous snapshot, to keep each process's start time stable (see below). */
  previous?: ProcessTable;
}

/**
 * Reads the process table through `ps`. Times are in milliseconds (clockTicks 1000).
 * ps reports elapsed time to the second only, so a start time derived from it wobbles by a second
 * between snapshots; a start within 2 s of the previous snapshot's for the same pid is taken as
 * the same process, so that CPU deltas are not reset every cycle.
 */
export async function readPortableProcessTable(options: PortableProcessTableOptions = {}): Promise<ProcessTable> {
  const takenAt = options.takenAt ?? Date.now();
  // Loaded on demand: a Linux host never pays for these modules.
  const [findProcessModule, { default: pidusage }] = await Promise.all([import("find-process"), import("pidusage")]);
  const findProcess = findProcessModule.default as FindProcess;
  const listed = await findProcess("name", "", false);
  const pids = listed.map((entry) => entry.pid).filter((pid) => Number.isInteger(pid) && pid > 0);
  const usage = await readUsage(pidusage, pids);
  const uptimeMs = Math.round(osUptime() * 1000);
  const processes = new Map<number, ProcessInfo>();
  for (const entry of listed) {
    const stat = usage.get(entry.pid);
    if (stat === undefined) continue; // exited between the two ps runs
    let startTicks = Math.max(0, uptimeMs - stat.elapsed);
    const before = options.previous?.processes.get(entry.pid);
    if (before !== undefined && Math.abs(before.startTicks - startTicks) <= 2000) startTicks = before.startTicks;
    processes.set(entry.pid, {
      pid: entry.pid,
      ppid: entry.ppid,
      name: entry.name,
      state: "R", // ps -o used by pidusage carries no state; "not a zombie" is what matters here
      cpuTicks: Math.round(stat.ctime),
      startTicks,
      rssBytes: stat.memory,
      uid: entry.uid,
      commandLine: entry.cmd,
    });
  }
  return { takenAt, clockTicks: 1000, uptimeTicks: uptimeMs, processes };
}

/**
 * find-process's own ESM typings use extensionless imports that NodeNext cannot follow, so its
 * default export would be `any`; this is the part of its documented signature used here.
 */
type FindProcess = (
  by: "name",
  value: string,
  strict: boolean,
) => Promise<Array<{ pid: number; ppid: number; uid?: number; name: string; cmd: string }>>;
type PidUsage = typeof import("pidusage");
type UsageStat = { ctime: number; elapsed: number; memory: number };

async function readUsage(pidusage: PidUsage, pids: number[]): Promise<Map<number, UsageStat>> {
  const usage = new Map<number, UsageStat>();
  if (pids.length === 0) return usage;
  try {
    const stats = await pidusage(pids);
    for (const [pid, stat] of Object.entries(stats)) if (stat) usage.set(Number(pid), stat);
  } catch {
    // One pid that exited can fail the whole batch on some platforms: ask per pid, keep the living.
    const settled = await Promise.allSettled(pids.map((pid) => pidusage(pid)));
    settled.forEach((result, i) => {
      if (result.status === "fulfilled" && result.value) usage.set(pids[i], result.value);
    });
  } finally {
    // pidusage keeps a history and a timer of its own; CPU % is computed here from ctime deltas.
    pidusage.clear();
  }
  return usage;
}
