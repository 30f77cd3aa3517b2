/**
 * Reading a service's pidfile, for services matched by `pidfile`.
 */
import { statSync } from "node:fs";
import { readRegularFile } from "../config/read-regular-file.js";

/** Bytes read from the start of a pidfile: a pid and a newline fit many times over. */
const PIDFILE_PREFIX_BYTES = 64;

/**
 * The pid written in a pidfile: its first line, a positive integer. Undefined when the file is
 * missing, unreadable, empty, not a regular file (a FIFO or /dev/zero would block the probe or be
 * read without end) or holds anything else, all of which mean "no process to look for". Only
 * its first 64 bytes are read, whatever its size.
 */
export function readPidFile(path: string): number | undefined {
  const read = readRegularFile(path, PIDFILE_PREFIX_BYTES, { encoding: "latin1", prefix: true });
  if (!read.ok) return undefined; // no pidfile: the service is not running (or never wrote one)
  const first = read.text.split("\n", 1)[0].trim();
  if (!/^\d+$/.test(first)) return undefined;
  const pid = Number(first);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * When a pidfile was last written (its mtime, ms since the epoch), to tell the process it names
 * from a later one that got the same pid; undefined when it cannot be read. A stat never blocks.
 */
export function pidFileWrittenAt(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
