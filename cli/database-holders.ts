import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { resolve } from "node:path";
import { createRedactor } from "../config/redact.js";

/** Secret flags and token-shaped strings; the .env values are taken out again by the logger. */
const redactCommandLine = createRedactor();

/** A process that has gaia.db (or its -wal, -shm or -journal file) open. */
export interface DatabaseHolder {
  pid: number;
  /** Its command line, spaces between the arguments, secret flags redacted (may be cut). */
  command: string;
}

/**
 * The processes other than this one that have `databaseFile` open, found by reading the links in
 * /proc/PID/fd (Linux; elsewhere, or for another user's processes without permission, none are
 * found). Used to say who holds gaia.db's lock.
 */
export function findDatabaseHolders(databaseFile: string, procDir = "/proc", selfPid = process.pid): DatabaseHolder[] {
  const base = resolve(databaseFile);
  const names = new Set([base, `${base}-wal`, `${base}-shm`, `${base}-journal`]);
  const holders: DatabaseHolder[] = [];
  let pids: string[];
  try {
    pids = readdirSync(procDir).filter((name) => /^\d+$/.test(name) && Number(name) !== selfPid);
  } catch {
    return [];
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${procDir}/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    const holds = fds.some((fd) => {
      try {
        return names.has(readlinkSync(`${procDir}/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    if (holds) holders.push({ pid: Number(pid), command: commandOf(procDir, pid) });
  }
  return holders;
}

function commandOf(procDir: string, pid: string): string {
  try {
    // Redacted before it is cut, like every command line gaia shows (this one goes to stderr).
    const text = redactCommandLine(readFileSync(`${procDir}/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" "));
    return text.length > 120 ? `${text.slice(0, 119)}…` : text || "?";
  } catch {
    return "?";
  }
}
