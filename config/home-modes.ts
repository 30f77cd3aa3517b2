import { chmodSync, lstatSync, mkdirSync } from "node:fs";
import { basename, relative } from "node:path";
import type { GaiaPaths } from "./types.js";

/**
 * Makes gaia's own files of a home private, as `.private/` is: the folders `.private/` and `.tmp/`
 * (logs, spooled job reports, restart output) 0700, gaia.db and its -wal, -shm and -journal files
 * 0600. They hold the audit trail, approval details, output tails and command lines, and the
 * umask would leave them readable by every user of the host. Creates `.tmp/` when missing; only
 * ever takes away group and other bits, never follows a symbolic link. Returns what it changed
 * (`gaia.db: 644 → 600`), for the log.
 */
export function tightenHomeModes(paths: GaiaPaths): string[] {
  mkdirSync(paths.tmpDir, { recursive: true, mode: 0o700 });
  const folders = [paths.privateDir, paths.tmpDir, paths.logDir, paths.spoolDir];
  const files = ["", "-wal", "-shm", "-journal"].map((suffix) => `${paths.database}${suffix}`);
  const fixed: string[] = [];
  for (const [path, wanted] of [...folders.map((f) => [f, 0o700] as const), ...files.map((f) => [f, 0o600] as const)]) {
    let mode: number;
    try {
      const stat = lstatSync(path);
      if (!(stat.isDirectory() || stat.isFile())) continue;
      mode = stat.mode & 0o777;
    } catch {
      continue; // not there (yet): made private when it is made
    }
    if ((mode & 0o077) === 0) continue;
    const next = mode & ~0o077 & wanted;
    chmodSync(path, next);
    fixed.push(`${relative(paths.home, path) || basename(path)}: ${mode.toString(8)} → ${next.toString(8)}`);
  }
  return fixed;
}
