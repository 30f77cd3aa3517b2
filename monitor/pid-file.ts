/**
 * Reading a service's pidfile, for services matched by `pidfile`.
 */
import { readFileSync, statSync } from "node:fs";

/**
 * The pid written in a pidfile: its first line, a positive integer. Undefined when the file is
 * missing, unreadable, empty or holds anything else, all of which mean "no process to look for".
 */
export function readPidFile(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch {
    return undefined; // no pidfile: the service is not running (or never wrote one)
  }
  const first = text.split("\n", 1)[0].trim();
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
