/**
 * Reading a service's pidfile, for services matched by `pidfile`.
 */
import { readFileSync } from "node:fs";

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
