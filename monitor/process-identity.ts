/**
 * What identifies a process beyond its pid, which the kernel hands out again once the process is
 * gone (after a reboot, the pid in a pidfile soon belongs to another program): its start time in
 * clock ticks since boot, from /proc/PID/stat, and the boot it ran in (/proc/sys/kernel/random/boot_id).
 * The same pid, start time and boot id is the same process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseProcessStat } from "./process-table.js";

/** A process as recorded in a pidfile or a task run row. */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  startTicks: number;
  /** The kernel's boot id when the process was recorded. */
  bootId?: string;
}

/** What became of a recorded process. */
export type ProcessFate =
  | "running" // the same process, alive
  | "gone" // exited, a zombie (exited, not yet reaped), or its pid now belongs to another process
  | "unknown"; // no /proc to tell (another OS): the caller falls back to kill(pid, 0)

/** The kernel's id of the current boot; undefined without /proc. */
export function readBootId(procRoot = "/proc"): string | undefined {
  try {
    return readFileSync(join(procRoot, "sys/kernel/random/boot_id"), "latin1").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The state letter and start time of a live pid, from /proc/PID/stat; undefined when it is gone or there is no /proc. */
export function readProcessStart(pid: number, procRoot = "/proc"): { state: string; startTicks: number } | undefined {
  try {
    const info = parseProcessStat(readFileSync(join(procRoot, String(pid), "stat"), "latin1"));
    return info ? { state: info.state, startTicks: info.startTicks } : undefined;
  } catch {
    return undefined;
  }
}

/** The identity of a running process now (gaia itself, a `gaia run` launcher); undefined without /proc. */
export function identifyProcess(pid: number, procRoot = "/proc"): ProcessIdentity | undefined {
  const start = readProcessStart(pid, procRoot);
  if (!start) return undefined;
  const bootId = readBootId(procRoot);
  return { pid, startTicks: start.startTicks, ...(bootId ? { bootId } : {}) };
}

/**
 * Whether a recorded process still runs: the same pid with the same start time in the same boot,
 * and not a zombie. Without /proc at all the answer is "unknown".
 */
export function processFate(recorded: ProcessIdentity, procRoot = "/proc"): ProcessFate {
  const bootNow = readBootId(procRoot);
  const start = readProcessStart(recorded.pid, procRoot);
  if (!start) return bootNow === undefined && !procMounted(procRoot) ? "unknown" : "gone";
  if (recorded.bootId !== undefined && bootNow !== undefined && recorded.bootId !== bootNow) return "gone"; // rebooted since
  if (start.state === "Z" || start.state === "X") return "gone";
  return start.startTicks === recorded.startTicks ? "running" : "gone";
}

function procMounted(procRoot: string): boolean {
  try {
    readFileSync(join(procRoot, "stat"), "latin1");
    return true;
  } catch {
    return false;
  }
}
