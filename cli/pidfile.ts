/**
 * `.tmp/gaia.pid`: one gaia per home. The file names the holder by more than its pid, which the
 * kernel hands out again: after a power cut the pid in a leftover pidfile soon belongs to another
 * program, and a `kill(pid, 0)` check would then refuse every start (under systemd, a restart
 * loop with no monitoring at all). So the file holds
 *
 *     PID                  first line, for `kill $(head -1 .tmp/gaia.pid)`
 *     start TICKS          the holder's start time (field 22 of /proc/PID/stat)
 *     boot BOOT_ID         /proc/sys/kernel/random/boot_id when it was written
 *
 * and a pidfile is stale when its process is gone, a zombie (killed, not yet reaped), started at
 * another time (its pid was reused) or ran in another boot. Without /proc (another OS) the pid
 * alone is checked, with kill(pid, 0).
 *
 * Taking the file is atomic: the record is written to a file of its own and hard-linked into
 * place, which fails when the pidfile exists. A stale pidfile is removed only under a short
 * takeover lock, and only when it still holds the stale record that was judged, so that two
 * starts racing on a stale pidfile never both win (each removing the other's fresh file).
 */
import { linkSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { readRegularFile } from "../config/read-regular-file.js";
import { identifyProcess, processFate, readProcessStart, type ProcessIdentity } from "../monitor/process-identity.js";
import { readCommandLine } from "../monitor/process-table.js";

/** Raised when another live gaia already holds the pidfile of this home. */
export class AlreadyRunning extends Error {
  constructor(readonly pid: number, file: string) {
    super(`another gaia (pid ${pid}) is already running on this home (${file}); stop it first, or use another GAIA_HOME`);
    this.name = "AlreadyRunning";
  }
}

/** A takeover lock older than this was left by a start that died holding it. */
const TAKEOVER_LOCK_STALE_MS = 10_000;
/** How long to keep trying while racing starts take turns. */
const ACQUIRE_ATTEMPTS = 200;
const RETRY_PAUSE_MS = 10;

/** What a pidfile says: the pid, and with gaia's own format the start time and boot id. */
export function parsePidRecord(text: string): (Partial<ProcessIdentity> & { pid: number }) | undefined {
  const [first, ...rest] = text.split("\n");
  const pid = Number.parseInt(first.trim(), 10);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !/^\d+$/.test(first.trim())) return undefined;
  const record: Partial<ProcessIdentity> & { pid: number } = { pid };
  for (const line of rest) {
    const [key, value] = line.trim().split(/\s+/, 2);
    if (key === "start" && /^\d+$/.test(value ?? "")) record.startTicks = Number(value);
    if (key === "boot" && value) record.bootId = value;
  }
  return record;
}

/** The pidfile's text for a process (its identity when /proc has it). */
export function pidRecordFor(pid: number): string {
  const identity = identifyProcess(pid);
  return [String(pid), ...(identity ? [`start ${identity.startTicks}`] : []), ...(identity?.bootId ? [`boot ${identity.bootId}`] : [])].join("\n") + "\n";
}

/** The pid of the live gaia that holds the pidfile, or undefined when there is none or it is stale. */
export function livePidIn(file: string): number | undefined {
  const text = readText(file);
  const record = text === undefined ? undefined : parsePidRecord(text);
  return record && isLive(record) ? record.pid : undefined;
}

/** Whether the process a pidfile names is the one that wrote it, and still running. */
function isLive(record: Partial<ProcessIdentity> & { pid: number }): boolean {
  if (record.startTicks !== undefined) {
    const fate = processFate({ pid: record.pid, startTicks: record.startTicks, ...(record.bootId ? { bootId: record.bootId } : {}) });
    if (fate !== "unknown") return fate === "running";
  } else {
    // A pid alone (an older gaia's pidfile): on Linux, a zombie or a program that is not gaia is stale.
    const start = readProcessStart(record.pid);
    if (start) return start.state !== "Z" && start.state !== "X" && /gaia/i.test(readCommandLine(record.pid));
  }
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but another user's process; ESRCH: gone.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `.tmp/gaia.pid` for this process (see the file comment): refuses while another live gaia
 * holds it, takes over a stale one. Returns the release function, which removes the file only
 * while it is still this process's.
 */
export function acquirePidfile(file: string, pid = process.pid): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const record = pidRecordFor(pid);
  const own = `${file}.${pid}.new`;
  try {
    // Inside the try: a full disk can create the file and then fail the write; it must not stay behind.
    writeFileSync(own, record, { mode: 0o600 });
    for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
      if (placeAtomically(own, file, record)) {
        return () => {
          if (readText(file) === record) rmSync(file, { force: true });
        };
      }
      const text = readText(file);
      if (text === undefined) continue; // removed meanwhile: try again at once
      const holder = parsePidRecord(text);
      if (holder && holder.pid !== pid && isLive(holder)) throw new AlreadyRunning(holder.pid, file);
      if (!removeStalePidfile(file, text, record)) pause(RETRY_PAUSE_MS);
    }
  } finally {
    rmSync(own, { force: true });
  }
  throw new AlreadyRunning(livePidIn(file) ?? 0, file);
}

/** Puts the record in place unless a pidfile exists; false when one does. */
function placeAtomically(own: string, file: string, record: string): boolean {
  try {
    linkSync(own, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
  }
  // A filesystem without hard links: an exclusive create is atomic too (the record is written after).
  try {
    writeFileSync(file, record, { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/**
 * Removes a pidfile judged stale, under the takeover lock and only while it still holds `stale`
 * (a racer may have taken over already: its fresh file stays). False when another start holds
 * the lock. `record` is the caller's own pidfile text, written into the lock.
 */
export function removeStalePidfile(file: string, stale: string, record: string): boolean {
  const lock = `${file}.takeover`;
  try {
    writeFileSync(lock, record, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    try {
      if (Date.now() - statSync(lock).mtimeMs > TAKEOVER_LOCK_STALE_MS) rmSync(lock, { force: true });
    } catch {
      // gone meanwhile
    }
    return false;
  }
  try {
    if (readText(file) === stale) rmSync(file, { force: true });
    return true;
  } finally {
    rmSync(lock, { force: true });
  }
}

function readText(file: string): string | undefined {
  // Never a blocking read: a FIFO or a device put at the pidfile's path would hang `gaia start`.
  // Anything but a small regular file holds no record, so it reads as "" and is treated as stale.
  const read = readRegularFile(file, 4096, { encoding: "latin1" });
  if (read.ok) return read.text;
  return read.problem === "missing" ? undefined : "";
}

/** A short synchronous pause while another start finishes its takeover (start-up only). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
