/**
 * One snapshot of every process on the host, taken once per probe cycle.
 *
 * On Linux it is read straight from /proc: one readdir of /proc plus one small read of
 * /proc/<pid>/stat per process, and no child process. Everything else in the probe (service
 * matching, CPU %, /top) works from this one table instead of asking the kernel again.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { uptime as osUptime } from "node:os";
import { join } from "node:path";

/**
 * Kernel clock ticks per second as /proc reports them (USER_HZ). It is part of the kernel's
 * user-space ABI and is 100 on every architecture a home server runs (x86, arm, arm64, riscv);
 * asking `getconf CLK_TCK` would cost a child process per start for a value that does not vary.
 */
export const LINUX_CLOCK_TICKS = 100;

/** Page size assumed when it cannot be detected; right for x86 and most arm64 kernels. */
export const DEFAULT_PAGE_SIZE = 4096;

/** One process of the table. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Kernel process name (comm), truncated by the kernel to 15 characters. */
  name: string;
  /** One-letter state: R running, S sleeping, D disk wait, Z zombie, T stopped, I idle… */
  state: string;
  /** User + system CPU time since the process started, in clock ticks. */
  cpuTicks: number;
  /** When the process started, in clock ticks since boot: with pid, it identifies the process. */
  startTicks: number;
  /** Resident memory. */
  rssBytes: number;
  /** Effective user id, when known. */
  uid?: number;
  /** Command line, when the source delivered it anyway (the portable fallback); else read lazily. */
  commandLine?: string;
}

/** Every process at one instant. */
export interface ProcessTable {
  /** Wall-clock time of the snapshot, ms since the epoch. */
  takenAt: number;
  /** Units of cpuTicks, startTicks and uptimeTicks per second. */
  clockTicks: number;
  /** Host uptime at the snapshot, in clock ticks (for since-start averages of new processes). */
  uptimeTicks: number;
  processes: Map<number, ProcessInfo>;
}

/** Options of {@link readProcessTable}. */
export interface ReadProcessTableOptions {
  /** Timestamp to record, ms since the epoch (inject a clock for tests); default Date.now(). */
  takenAt?: number;
  /** Bytes per memory page (see {@link detectPageSize}); default 4096. */
  pageSize?: number;
}

/**
 * Reads the whole process table from /proc (or a fake tree laid out like it).
 * Sync reads on purpose: procfs reads never block on disk, and a few hundred tiny sync reads are
 * several times faster than the same number of promise round trips. A process that exits between
 * the readdir and its read is normal and simply left out.
 */
export function readProcessTable(procRoot = "/proc", options: ReadProcessTableOptions = {}): ProcessTable {
  const takenAt = options.takenAt ?? Date.now();
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const processes = new Map<number, ProcessInfo>();
  // One buffer for every read: a stat line is under 1 KiB even with a 15-byte comm.
  const buffer = Buffer.allocUnsafe(4096);
  for (const entry of readdirSync(procRoot)) {
    const pid = parsePid(entry);
    if (pid === undefined) continue;
    const info = readProcess(procRoot, entry, buffer, pageSize);
    if (info !== undefined) processes.set(info.pid, info);
  }
  return { takenAt, clockTicks: LINUX_CLOCK_TICKS, uptimeTicks: readUptimeTicks(procRoot), processes };
}

/**
 * Reads only the given processes' stat files, without listing /proc: the probe's fast cycle,
 * while every watched process is still the one it saw. A pid that is gone is simply absent from
 * the table, so the caller sees it died.
 */
export function readProcesses(procRoot: string, pids: Iterable<number>, options: ReadProcessTableOptions = {}): ProcessTable {
  const takenAt = options.takenAt ?? Date.now();
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const processes = new Map<number, ProcessInfo>();
  const buffer = Buffer.allocUnsafe(4096);
  for (const pid of pids) {
    const info = readProcess(procRoot, String(pid), buffer, pageSize);
    // A stat file that names another pid is not this process (never on a real /proc).
    if (info !== undefined && info.pid === pid) processes.set(pid, info);
  }
  return { takenAt, clockTicks: LINUX_CLOCK_TICKS, uptimeTicks: readUptimeTicks(procRoot), processes };
}

function readProcess(procRoot: string, entry: string, buffer: Buffer, pageSize: number): ProcessInfo | undefined {
  const read = readStatFile(join(procRoot, entry, "stat"), buffer);
  if (read === undefined) return undefined;
  const info = parseProcessStat(read.text, pageSize);
  if (info !== undefined) info.uid = read.uid;
  return info;
}

/**
 * Parses one /proc/<pid>/stat line. The name (comm) sits between the first "(" and the LAST ")":
 * a process may call itself "a) (b" and only the last parenthesis is trustworthy.
 * Returns undefined for a line that does not have the expected shape.
 */
export function parseProcessStat(line: string, pageSize = DEFAULT_PAGE_SIZE): ProcessInfo | undefined {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 1 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  const name = line.slice(open + 1, close);
  // Fields after the name, numbered as in proc(5) minus 3: state is field 3, ppid 4, utime 14,
  // stime 15, starttime 22, rss 24.
  const rest = line.slice(close + 2).trim().split(" ");
  if (!Number.isInteger(pid) || rest.length < 22) return undefined;
  const state = rest[0];
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const startTicks = Number(rest[19]);
  const rssPages = Number(rest[21]);
  if (![ppid, utime, stime, startTicks, rssPages].every(Number.isFinite)) return undefined;
  return {
    pid,
    ppid,
    name,
    state,
    cpuTicks: utime + stime,
    startTicks,
    // Kernel threads report 0; a negative rss never happens but would poison every sum.
    rssBytes: Math.max(0, rssPages) * pageSize,
  };
}

/**
 * Reads one process's command line: NUL-separated arguments joined with spaces. Called lazily,
 * only for processes whose name matched a service that needs `args`, and for /top. Empty for
 * kernel threads, zombies and processes that are gone.
 */
export function readCommandLine(pid: number, procRoot = "/proc"): string {
  let raw: string;
  try {
    raw = readFileSync(join(procRoot, String(pid), "cmdline"), "utf8");
  } catch {
    return ""; // gone or not ours to read: no command line to match
  }
  return raw.replace(/\0+$/, "").split("\0").join(" ");
}

/**
 * The kernel's memory page size, read once from /proc/self/smaps ("KernelPageSize"). Raspberry
 * Pi 5 kernels use 16 KiB pages and some arm64 distributions 64 KiB, where assuming 4096 would
 * under-report every process's memory 4 to 16 times. Falls back to 4096 when unreadable.
 */
export function detectPageSize(procRoot = "/proc"): number {
  let fd: number | undefined;
  try {
    fd = openSync(join(procRoot, "self", "smaps"), "r");
    // The first mapping's block carries the page size; smaps of a big process can be megabytes.
    const buffer = Buffer.alloc(8192);
    const length = readSync(fd, buffer, 0, buffer.length, null);
    const match = /KernelPageSize:\s+(\d+) kB/.exec(buffer.toString("latin1", 0, length));
    return match ? Number(match[1]) * 1024 : DEFAULT_PAGE_SIZE;
  } catch {
    return DEFAULT_PAGE_SIZE;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function parsePid(entry: string): number | undefined {
  // Cheaper than a regex on every /proc entry; non-numeric entries (self, net, sys…) are skipped.
  const first = entry.charCodeAt(0);
  if (first < 48 || first > 57) return undefined;
  const pid = Number(entry);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** open + fstat + read + close: the fstat gives the owner uid at no extra path lookup. */
function readStatFile(path: string, buffer: Buffer): { text: string; uid: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined; // the process exited after the readdir
  }
  try {
    const uid = fstatSync(fd).uid;
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    if (length === 0) return undefined;
    return { text: buffer.toString("utf8", 0, length), uid };
  } catch {
    return undefined; // ESRCH: the process exited between open and read
  } finally {
    closeSync(fd);
  }
}

function readUptimeTicks(procRoot: string): number {
  let seconds: number;
  try {
    seconds = Number(readFileSync(join(procRoot, "uptime"), "latin1").split(" ")[0]);
  } catch {
    seconds = osUptime(); // a fake tree without an uptime file
  }
  return Math.round(seconds * LINUX_CLOCK_TICKS);
}
