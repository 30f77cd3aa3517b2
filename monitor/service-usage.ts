/**
 * What a service's processes use together, from the table and this cycle's CPU percentages.
 */
import type { ProcessTable } from "./process-table.js";

/** A service's combined use. */
export interface ServiceUsage {
  /** Sum of the processes' CPU % of one core. */
  cpuPercent: number;
  /** Sum of resident memory. */
  memoryBytes: number;
  /** memoryBytes as a share of total host memory, 0-100. */
  memoryPercent: number;
  /** Start of the oldest process: how long the service has been up. Absent without processes. */
  startedAt?: Date;
}

/**
 * Sums CPU and memory over `pids` and finds the earliest start. Pids missing from the table are
 * skipped. Summed RSS counts pages shared between a service's processes more than once, as top
 * and ps do; it over-states forking servers somewhat, never under-states them.
 */
export function serviceUsage(
  pids: readonly number[],
  table: ProcessTable,
  cpuPercents: ReadonlyMap<number, number>,
  memoryTotalBytes: number,
  bootTime: Date,
): ServiceUsage {
  let cpuPercent = 0;
  let memoryBytes = 0;
  let earliestStart: number | undefined;
  for (const pid of pids) {
    const info = table.processes.get(pid);
    if (info === undefined) continue;
    cpuPercent += cpuPercents.get(pid) ?? 0;
    memoryBytes += info.rssBytes;
    if (earliestStart === undefined || info.startTicks < earliestStart) earliestStart = info.startTicks;
  }
  const usage: ServiceUsage = {
    cpuPercent,
    memoryBytes,
    memoryPercent: memoryTotalBytes > 0 ? (memoryBytes / memoryTotalBytes) * 100 : 0,
  };
  if (earliestStart !== undefined) {
    // Start ticks count from boot, so the wall-clock start is boot time plus that many seconds.
    usage.startedAt = new Date(bootTime.getTime() + (earliestStart * 1000) / table.clockTicks);
  }
  return usage;
}
