/**
 * A fake /proc tree in a temporary folder, laid out like the real one, for parser tests.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What to write for one fake process. */
export interface FakeProcess {
  pid: number;
  name: string;
  ppid?: number;
  state?: string;
  utime?: number;
  stime?: number;
  startTicks?: number;
  rssPages?: number;
  /** Arguments, written NUL-separated with a trailing NUL like the kernel does. */
  argv?: string[];
}

/** A /proc/<pid>/stat line with the fields the probe reads at their proc(5) positions. */
export function statLine(p: FakeProcess): string {
  const fields = [
    p.state ?? "S", // 3 state
    p.ppid ?? 1, // 4 ppid
    p.pid, 0, 0, -1, 4194560, // 5-9 pgrp session tty_nr tpgid flags
    100, 0, 0, 0, // 10-13 faults
    p.utime ?? 0, // 14 utime
    p.stime ?? 0, // 15 stime
    0, 0, 20, 0, 1, 0, // 16-21 cutime cstime priority nice num_threads itrealvalue
    p.startTicks ?? 1000, // 22 starttime
    123456789, // 23 vsize
    p.rssPages ?? 0, // 24 rss
    18446744073709551615n, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 1, 0, 0, 0, 0, 0, // 25-44
  ];
  return `${p.pid} (${p.name}) ${fields.join(" ")}\n`;
}

/** Creates the tree; returns its root and a cleanup function. */
export function createFakeProc(options: {
  processes: FakeProcess[];
  /** Pids that have a folder but no stat file: a process that exited during the read. */
  vanished?: number[];
  uptimeSeconds?: number;
  procStat?: string;
  meminfo?: string;
  net?: { tcp?: string; tcp6?: string };
}): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "gaia-fake-proc-"));
  for (const p of options.processes) {
    mkdirSync(join(root, String(p.pid)));
    writeFileSync(join(root, String(p.pid), "stat"), statLine(p));
    if (p.argv) writeFileSync(join(root, String(p.pid), "cmdline"), p.argv.map((a) => `${a}\0`).join(""));
  }
  for (const pid of options.vanished ?? []) mkdirSync(join(root, String(pid)));
  // Entries that are not processes, as in the real /proc.
  mkdirSync(join(root, "sys"));
  writeFileSync(join(root, "version"), "Linux version 6.1.0\n");
  writeFileSync(join(root, "uptime"), `${options.uptimeSeconds ?? 1000}.00 1900.00\n`);
  if (options.procStat) writeFileSync(join(root, "stat"), options.procStat);
  if (options.meminfo) writeFileSync(join(root, "meminfo"), options.meminfo);
  if (options.net) {
    mkdirSync(join(root, "net"));
    if (options.net.tcp) writeFileSync(join(root, "net", "tcp"), options.net.tcp);
    if (options.net.tcp6) writeFileSync(join(root, "net", "tcp6"), options.net.tcp6);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
