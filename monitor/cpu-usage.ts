/**
 * Recent CPU use, per process and for the host, from two consecutive snapshots.
 *
 * Why not pidusage here: pidusage would re-read the same /proc/<pid>/stat files that the process
 * table has just read (twice the I/O per process, and a second, slightly later view of each
 * process). The table already holds each process's CPU ticks, so a delta between two tables is
 * all a percentage needs. pidusage is used only where /proc is absent (portable-process-table.ts).
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { ProcessInfo, ProcessTable } from "./process-table.js";

/**
 * CPU % of ONE core (like top: a process busy on two cores reads 200) for every process of
 * `current`, over the interval since `previous`.
 *
 * A process seen for the first time (no previous table, a pid that is new, or a pid reused by
 * a different process, recognised by its different start time) gets its average since it
 * started: for a process born during the interval that is exactly its recent use, and for the
 * very first snapshot it is the best figure available without waiting a cycle.
 */
export function processCpuPercents(previous: ProcessTable | undefined, current: ProcessTable): Map<number, number> {
  return processCpuPercentsSince((pid) => {
    const info = previous?.processes.get(pid);
    return info === undefined ? undefined : { info, takenAt: previous!.takenAt };
  }, current);
}

/** One process as it was read, and when. */
export interface ProcessReading {
  info: ProcessInfo;
  takenAt: number;
}

/**
 * Like {@link processCpuPercents}, but each process over the interval since its OWN last reading:
 * the probe's fast cycles read only the watched processes, so the others' last readings are older
 * (from the last full scan), and their figures cover that longer interval.
 */
export function processCpuPercentsSince(lastReading: (pid: number) => ProcessReading | undefined, current: ProcessTable): Map<number, number> {
  const percents = new Map<number, number>();
  for (const [pid, info] of current.processes) {
    const before = lastReading(pid);
    const elapsedMs = before ? current.takenAt - before.takenAt : 0;
    if (before !== undefined && elapsedMs > 0 && isSameProcess(before.info, info) && info.cpuTicks >= before.info.cpuTicks) {
      const cpuMs = ((info.cpuTicks - before.info.cpuTicks) * 1000) / current.clockTicks;
      percents.set(pid, (cpuMs / elapsedMs) * 100);
    } else {
      percents.set(pid, sinceStartPercent(info, current));
    }
  }
  return percents;
}

/** Same pid and same start time: the same process (a reused pid starts at a different tick). */
export function isSameProcess(a: ProcessInfo, b: ProcessInfo): boolean {
  return a.pid === b.pid && a.startTicks === b.startTicks;
}

function sinceStartPercent(info: ProcessInfo, table: ProcessTable): number {
  const aliveTicks = table.uptimeTicks - info.startTicks;
  // Under one tick old: nothing meaningful to divide by yet.
  return aliveTicks >= 1 ? (info.cpuTicks / aliveTicks) * 100 : 0;
}

/** Cumulative host CPU time, in clock ticks, all cores together. */
export interface HostCpuTimes {
  busy: number;
  total: number;
}

/**
 * Parses the aggregate "cpu" line of /proc/stat. Busy is everything but idle and iowait (waiting
 * for disk is not using the CPU); guest time is already counted inside user, so it is not added.
 */
export function parseHostCpuTimes(procStat: string): HostCpuTimes {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) throw new Error("/proc/stat has no aggregate cpu line");
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/** Reads and parses /proc/stat's aggregate cpu line. */
export function readHostCpuTimes(procRoot = "/proc"): HostCpuTimes {
  return parseHostCpuTimes(readFileSync(join(procRoot, "stat"), "latin1"));
}

/** Host CPU times from os.cpus(), for hosts without /proc (libuv asks the kernel, no child process). */
export function portableHostCpuTimes(): HostCpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const sum = times.user + times.nice + times.sys + times.idle + times.irq;
    busy += sum - times.idle;
    total += sum;
  }
  return { busy, total };
}

/**
 * Host CPU % of ALL cores (0-100) between two readings; without a previous reading, the average
 * since boot. Returns 0 when no time has passed.
 */
export function hostCpuPercent(previous: HostCpuTimes | undefined, current: HostCpuTimes): number {
  const busy = current.busy - (previous?.busy ?? 0);
  const total = current.total - (previous?.total ?? 0);
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, (busy / total) * 100));
}
