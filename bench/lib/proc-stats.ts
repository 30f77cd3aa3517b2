/**
 * What a process costs, read straight from /proc, independently of the monitor's own probe code:
 * a benchmark must not measure gaia with gaia.
 */
import { readFileSync } from "node:fs";

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat (100 on every Linux a NAS runs). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) the process has used since it started. */
export function cpuSecondsOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/stat`, "latin1");
  // Fields after the name, which ends at the LAST ")"; utime and stime are fields 14 and 15.
  const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident memory of the process (VmRSS of /proc/<pid>/status), in bytes. */
export function rssBytesOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}
