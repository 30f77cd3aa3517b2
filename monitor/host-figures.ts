/**
 * Host-wide figures other than CPU: memory, disk, load, uptime and boot time. Each comes from a
 * file of /proc or a libuv call: none starts a child process.
 */
import { readFileSync, statfsSync } from "node:fs";
import { freemem, loadavg, totalmem, uptime } from "node:os";
import { join } from "node:path";
import type { HostFigures } from "./snapshot.js";

/** Used and total bytes of a resource, and the share used (0-100). */
export interface Usage {
  usedBytes: number;
  totalBytes: number;
  percent: number;
}

/**
 * Memory in use from /proc/meminfo: (MemTotal - MemAvailable) / MemTotal. MemAvailable counts
 * page cache and reclaimable slab as free, as `free` does, so a host full of cache is not "full".
 * Returns undefined when the text lacks either field (kernels before 3.14 have no MemAvailable).
 */
export function parseMemoryUsage(meminfo: string): Usage | undefined {
  const total = meminfoKilobytes(meminfo, "MemTotal");
  const available = meminfoKilobytes(meminfo, "MemAvailable");
  if (total === undefined || available === undefined || total <= 0) return undefined;
  return usage((total - available) * 1024, total * 1024);
}

/**
 * Memory in use: /proc/meminfo when readable, else os.totalmem/os.freemem (macOS, Windows, old
 * kernels; libuv's "free" there is stricter, so the figure reads somewhat higher).
 */
export function readMemoryUsage(procRoot: string | undefined = "/proc"): Usage {
  if (procRoot !== undefined) {
    try {
      const parsed = parseMemoryUsage(readFileSync(join(procRoot, "meminfo"), "latin1"));
      if (parsed) return parsed;
    } catch {
      // no /proc/meminfo: use the portable figures below
    }
  }
  const total = totalmem();
  return usage(total - freemem(), total);
}

/**
 * Disk use of the filesystem holding `path`, computed like df: used = blocks - free blocks, and
 * the percentage is used / (used + blocks available to unprivileged users), so the blocks
 * reserved for root count as full. Throws when `path` does not exist.
 */
export function readDiskUsage(path: string): Usage {
  const fs = statfsSync(path);
  const usedBlocks = fs.blocks - fs.bfree;
  const usableBlocks = usedBlocks + fs.bavail;
  return {
    usedBytes: usedBlocks * fs.bsize,
    totalBytes: fs.blocks * fs.bsize,
    percent: usableBlocks > 0 ? (usedBlocks / usableBlocks) * 100 : 0,
  };
}

/** Boot time from the "btime" line (seconds since the epoch) of /proc/stat; undefined if absent. */
export function parseBootTime(procStat: string): Date | undefined {
  const match = /^btime\s+(\d+)/m.exec(procStat);
  return match ? new Date(Number(match[1]) * 1000) : undefined;
}

/**
 * Boot time where there is no /proc: now minus uptime, rounded to the second. It can wobble by a
 * second between calls, so compare boot times with a few seconds of tolerance.
 */
export function portableBootTime(now: number): Date {
  return new Date(Math.round((now - uptime() * 1000) / 1000) * 1000);
}

/** The host's boot time: exact from /proc/stat where there is one, else now minus uptime. */
export function readBootTime(procRoot = "/proc"): Date {
  try {
    return parseBootTime(readFileSync(join(procRoot, "stat"), "latin1")) ?? portableBootTime(Date.now());
  } catch {
    return portableBootTime(Date.now());
  }
}

/** What {@link readHostFigures} needs that the probe has already read or computed this cycle. */
export interface HostFigureInputs {
  /** /proc (or a fake tree), or undefined on hosts without it. */
  procRoot: string | undefined;
  /** The text of /proc/stat read this cycle (for the boot time), when there is a /proc. */
  procStat?: string;
  /** Any path on the filesystem whose use to report: the home folder. */
  diskPath: string;
  /** Host CPU % of all cores, from cpu-usage.ts. */
  cpuPercent: number;
  /** Time of the snapshot, ms since the epoch. */
  takenAt: number;
}

/** Gathers the host's figures for one snapshot. */
export function readHostFigures(inputs: HostFigureInputs): HostFigures {
  const memory = readMemoryUsage(inputs.procRoot);
  const disk = readDiskUsage(inputs.diskPath);
  const [one, five, fifteen] = loadavg();
  const bootTime =
    (inputs.procStat !== undefined ? parseBootTime(inputs.procStat) : undefined) ?? portableBootTime(inputs.takenAt);
  return {
    cpuPercent: inputs.cpuPercent,
    memoryPercent: memory.percent,
    memoryUsedBytes: memory.usedBytes,
    memoryTotalBytes: memory.totalBytes,
    diskPercent: disk.percent,
    diskUsedBytes: disk.usedBytes,
    diskTotalBytes: disk.totalBytes,
    load: [one, five, fifteen],
    uptimeSeconds: uptime(),
    bootTime,
  };
}

function meminfoKilobytes(meminfo: string, key: string): number | undefined {
  const match = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(meminfo);
  return match ? Number(match[1]) : undefined;
}

function usage(usedBytes: number, totalBytes: number): Usage {
  return { usedBytes, totalBytes, percent: totalBytes > 0 ? (usedBytes / totalBytes) * 100 : 0 };
}
