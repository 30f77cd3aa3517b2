import { readFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";

/**
 * Where a process's resident memory is, by owner, from the kernel's and V8's own accounts: what
 * `process.memoryUsage()` alone cannot tell (RSS minus the V8 heap is "native", of any kind).
 */
export interface MemoryBreakdown {
  /** /proc/self/status: VmRSS = RssAnon + RssFile + RssShmem. */
  rssBytes: number;
  rssAnonBytes: number;
  /** Pages of mapped files (node's binary, shared libraries, native addons): paged in as code runs, at most the files' size. */
  rssFileBytes: number;
  rssShmemBytes: number;
  /** process.memoryUsage(). */
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** V8's heap spaces, resident (physical) bytes each: new_space, old_space, code_space, large_object_space... */
  v8SpacesBytes: Record<string, number>;
  /**
   * Resident anonymous memory by kind of mapping, from /proc/self/smaps: `mallocMainArena` is the
   * C allocator's brk heap, `mallocThreadArenas` its per-thread arenas (64 MiB-aligned heaps), the
   * rest (`otherAnonymous`) is V8's heap pages, large allocations mapped on their own and thread stacks.
   */
  anonymous: { mallocMainArena: number; mallocThreadArenas: number; mallocThreadArenaCount: number; otherAnonymous: number };
}

const ARENA_HEAP_BYTES = 64 * 1024 * 1024;

/** Reads the breakdown of this process's memory now (call it after a forced GC for steady figures). */
export function memoryBreakdown(): MemoryBreakdown {
  const status = readFileSync("/proc/self/status", "latin1");
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  const usage = process.memoryUsage();
  const v8SpacesBytes: Record<string, number> = {};
  for (const space of getHeapSpaceStatistics()) v8SpacesBytes[space.space_name] = space.physical_space_size;
  return {
    rssBytes: kB("VmRSS"),
    rssAnonBytes: kB("RssAnon"),
    rssFileBytes: kB("RssFile"),
    rssShmemBytes: kB("RssShmem"),
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    externalBytes: usage.external,
    arrayBuffersBytes: usage.arrayBuffers,
    v8SpacesBytes,
    anonymous: anonymousMappings(),
  };
}

/** Sums /proc/self/smaps' resident anonymous memory by kind of mapping (see MemoryBreakdown.anonymous). */
function anonymousMappings(): MemoryBreakdown["anonymous"] {
  const mappings: { start: bigint; end: bigint; perms: string; path: string; rss: number }[] = [];
  for (const line of readFileSync("/proc/self/smaps", "latin1").split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) mappings.push({ start: BigInt(`0x${header[1]}`), end: BigInt(`0x${header[2]}`), perms: header[3], path: header[4], rss: 0 });
    else if (line.startsWith("Rss:") && mappings.length) mappings[mappings.length - 1].rss = Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  const result = { mallocMainArena: 0, mallocThreadArenas: 0, mallocThreadArenaCount: 0, otherAnonymous: 0 };
  const arenaSize = BigInt(ARENA_HEAP_BYTES);
  for (let i = 0; i < mappings.length; i++) {
    const m = mappings[i];
    if (m.path === "[heap]") result.mallocMainArena += m.rss;
    else if (m.path !== "" || !m.perms.startsWith("rw")) continue;
    // glibc's thread arenas: a 64 MiB-aligned, 64 MiB reservation whose start is read-write and
    // whose rest (if any) is an inaccessible mapping right after it.
    else if (m.start % arenaSize === 0n) {
      const next = mappings[i + 1];
      const end = next && next.path === "" && next.perms.startsWith("---") && next.start === m.end ? next.end : m.end;
      if (end - m.start === arenaSize) {
        result.mallocThreadArenas += m.rss;
        result.mallocThreadArenaCount++;
      } else result.otherAnonymous += m.rss;
    } else result.otherAnonymous += m.rss;
  }
  return result;
}
