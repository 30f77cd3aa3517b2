/**
 * Which processes make up each configured service, decided from one process table.
 * Pure: every read that the table does not already hold (command lines, pidfiles, port owners)
 * goes through the lookups passed in, so tests can feed any situation without a real host.
 */
import { basename } from "node:path";
import type { ServiceConfig } from "../config/types.js";
import type { ProcessInfo, ProcessTable } from "./process-table.js";
import type { PortListeners } from "./port-owners.js";

/** The kernel keeps only the first 15 characters of a process name (TASK_COMM_LEN - 1). */
export const KERNEL_NAME_LENGTH = 15;

/** The reads that matching may need beyond the table; each is called only when needed. */
export interface ServiceMatchLookups {
  /** Gaia's own pid, never counted as a service's process. */
  selfPid: number;
  /** A process's command line, space-joined ("" when unknown). */
  commandLine(pid: number): string;
  /** The pid written in a pidfile, or undefined when there is none. */
  readPidFile(path: string): number | undefined;
  /** When a pidfile was last written (its mtime, ms since the epoch); undefined when unknown. */
  pidFileWrittenAt(path: string): number | undefined;
  /** Who listens on a TCP port this cycle. */
  portListeners(port: number): PortListeners;
}

/** The processes found for one service. */
export interface MatchedService {
  name: string;
  /**
   * The service is there: at least one matching process, or, for a port service, a socket
   * listening on the port even when its owner cannot be seen (another user's process).
   */
  up: boolean;
  /** Matching pids, ascending. */
  pids: number[];
  processCount: number;
}

/**
 * Matches every service against the table, in the order of `services`.
 * - process: the kernel name (comm) equals the configured name, cut to 15 characters as the
 *   kernel cuts it, and the command line contains `args` when given. Gaia itself and zombies
 *   (exited, not yet reaped) never count. For a name longer than 15 characters, a process whose
 *   argv[0] names a *different* program with the same first 15 characters is rejected; argv[0]
 *   naming the configured program, an interpreter (a script run through its shebang) or nothing
 *   readable keeps the match.
 * - pidfile: the pid it holds, when that process is alive and started before the pidfile was
 *   written; a stale pidfile means down (see `startedAfterPidfile`).
 * - port: the processes owning a socket that listens on the port (IPv4 or IPv6).
 */
export function matchServices(
  services: readonly ServiceConfig[],
  table: ProcessTable,
  lookups: ServiceMatchLookups,
): MatchedService[] {
  return services.map((service) => {
    const match = service.match;
    let pids: number[];
    let listening = false;
    switch (match.kind) {
      case "process":
        pids = matchByName(match.process, match.args, table, lookups);
        break;
      case "pidfile": {
        const pid = lookups.readPidFile(match.pidfile);
        const info = pid === undefined ? undefined : table.processes.get(pid);
        pids = info !== undefined && isAlive(info) && !startedAfterPidfile(info, table, lookups.pidFileWrittenAt(match.pidfile)) ? [info.pid] : [];
        break;
      }
      case "port": {
        const listeners = lookups.portListeners(match.port);
        listening = listeners.listening;
        pids = listeners.pids.filter((pid) => table.processes.has(pid));
        break;
      }
      case "http":
      case "tcp":
      case "container":
      case "unit":
        // Endpoints are checked by the probe (endpoint-checks.ts), not found in the process table.
        pids = [];
        break;
    }
    pids.sort((a, b) => a - b);
    return { name: service.name, up: pids.length > 0 || listening, pids, processCount: pids.length };
  });
}

function matchByName(
  name: string,
  args: string | undefined,
  table: ProcessTable,
  lookups: ServiceMatchLookups,
): number[] {
  const comm = name.slice(0, KERNEL_NAME_LENGTH);
  const truncated = name.length > KERNEL_NAME_LENGTH;
  const pids: number[] = [];
  for (const info of table.processes.values()) {
    if (info.name !== comm || info.pid === lookups.selfPid || !isAlive(info)) continue;
    // The command line is read only for processes whose name already matched.
    let commandLine: string | undefined;
    if (truncated) {
      commandLine = lookups.commandLine(info.pid);
      if (!argv0Allows(commandLine, name, comm)) continue;
    }
    if (args !== undefined && args !== "") {
      commandLine ??= lookups.commandLine(info.pid);
      if (!commandLine.includes(args)) continue;
    }
    pids.push(info.pid);
  }
  return pids;
}

/** See matchServices: only an argv[0] that is another program sharing the 15-char prefix rejects. */
function argv0Allows(commandLine: string, name: string, comm: string): boolean {
  const argv0 = basename(commandLine.split(" ", 1)[0] ?? "");
  return argv0 === name || !argv0.startsWith(comm);
}

function isAlive(info: ProcessInfo): boolean {
  return info.state !== "Z" && info.state !== "X";
}

/**
 * Slack for comparing a start time (whole clock ticks since boot, turned into wall-clock time
 * through the uptime) with a file's mtime: both are rounded, and the clock may be stepped a little.
 */
const PIDFILE_CLOCK_SLACK_MS = 2_000;

/**
 * A service writes its pidfile after it starts, so a process that started after the pidfile was
 * last written cannot be the one it names: the service died (or the host rebooted) leaving the
 * file, and the kernel gave its pid to another process, which must not count as the service up.
 * Without an mtime there is nothing to compare, and the pid is trusted as before.
 */
function startedAfterPidfile(info: ProcessInfo, table: ProcessTable, writtenAt: number | undefined): boolean {
  if (writtenAt === undefined || table.clockTicks <= 0) return false;
  const bootMs = table.takenAt - (table.uptimeTicks * 1000) / table.clockTicks;
  const startedMs = bootMs + (info.startTicks * 1000) / table.clockTicks;
  return startedMs > writtenAt + PIDFILE_CLOCK_SLACK_MS;
}
