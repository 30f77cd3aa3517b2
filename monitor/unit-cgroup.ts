/**
 * A systemd unit's cgroup, read from the cgroup filesystem: its processes (cgroup.procs, its own
 * and its sub-cgroups'), and on cgroup v2 its memory (memory.current, as systemctl status shows
 * it) and CPU time (cpu.stat usage_usec). On cgroup v1 only the processes are read: the probe then
 * sums their figures from its process table.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, normalize } from "node:path";

/** What one read of a unit's cgroup found. */
export interface CgroupReading {
  /** The folder read, for messages. */
  path: string;
  /** Every process in the cgroup and below it, ascending. */
  pids: number[];
  /** cgroup v2: memory.current. */
  memoryBytes?: number;
  /** cgroup v2: CPU time used so far, µs (cpu.stat usage_usec). */
  cpuUsageUs?: number;
}

/** A unit's figures in one cycle: its processes, and on cgroup v2 memory and CPU (% of one core since the previous cycle). */
export interface UnitFigures {
  pids: number[];
  /** cgroup v2 only; on v1 the probe sums the processes' own. */
  memoryBytes?: number;
  cpuPercent?: number;
}

/** Reads units' cgroups each cycle, keeping each unit's CPU counter so CPU covers the time between two cycles. */
export class UnitCgroups {
  private readonly previousCpu = new Map<string, { usageUs: number; at: number }>();

  constructor(
    private readonly root: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The figures of service `name`, from its cgroup (or its main pid alone when the cgroup cannot be read). */
  figures(name: string, unit: { controlGroup?: string; mainPid?: number }): UnitFigures {
    const cgroup = unit.controlGroup ? readUnitCgroup(this.root, unit.controlGroup) : undefined;
    if (!cgroup) {
      this.previousCpu.delete(name);
      return { pids: unit.mainPid !== undefined ? [unit.mainPid] : [] };
    }
    const figures: UnitFigures = { pids: cgroup.pids };
    if (cgroup.memoryBytes !== undefined) figures.memoryBytes = cgroup.memoryBytes;
    if (cgroup.cpuUsageUs === undefined) {
      this.previousCpu.delete(name);
      return figures;
    }
    const at = this.now();
    const before = this.previousCpu.get(name);
    this.previousCpu.set(name, { usageUs: cgroup.cpuUsageUs, at });
    const used = before ? cgroup.cpuUsageUs - before.usageUs : 0;
    const elapsedUs = before ? (at - before.at) * 1000 : 0;
    figures.cpuPercent = used > 0 && elapsedUs > 0 ? (used / elapsedUs) * 100 : 0;
    return figures;
  }

  /** Forgets a unit's CPU counter (it stopped, or systemd could not be asked). */
  forget(name: string): void {
    this.previousCpu.delete(name);
  }
}

/** Deep enough for a delegated service's own sub-cgroups; a real tree is never this deep below a unit. */
const MAX_DEPTH = 8;

/**
 * Reads `controlGroup` (systemd's ControlGroup property, e.g. /system.slice/nginx.service) under
 * `root`: the unified hierarchy (v2) first, then a hybrid's `unified/` and v1's `systemd/`
 * hierarchy. Undefined when the cgroup is in none of them (the unit has no processes).
 */
export function readUnitCgroup(root: string, controlGroup: string): CgroupReading | undefined {
  const relative = normalize(`/${controlGroup}`);
  if (relative.includes("/../") || relative === "/") return undefined;
  for (const hierarchy of ["", "unified", "systemd"]) {
    const path = join(root, hierarchy, relative);
    if (!existsSync(join(path, "cgroup.procs"))) continue;
    const reading: CgroupReading = { path, pids: [] };
    collectPids(path, reading.pids, 0);
    reading.pids.sort((a, b) => a - b);
    const memory = readNumber(join(path, "memory.current"));
    if (memory !== undefined) reading.memoryBytes = memory;
    const cpu = readCpuUsage(join(path, "cpu.stat"));
    if (cpu !== undefined) reading.cpuUsageUs = cpu;
    return reading;
  }
  return undefined;
}

function collectPids(path: string, into: number[], depth: number): void {
  let text: string;
  try {
    text = readFileSync(join(path, "cgroup.procs"), "latin1");
  } catch {
    return; // removed while read: the unit stopped
  }
  for (const line of text.split("\n")) {
    const pid = Number(line);
    if (line !== "" && Number.isInteger(pid) && pid > 0) into.push(pid);
  }
  if (depth >= MAX_DEPTH) return;
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) if (entry.isDirectory()) collectPids(join(path, entry.name), into, depth + 1);
}

function readNumber(file: string): number | undefined {
  try {
    const value = Number(readFileSync(file, "latin1").trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function readCpuUsage(file: string): number | undefined {
  try {
    const line = /^usage_usec (\d+)$/m.exec(readFileSync(file, "latin1"));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}
