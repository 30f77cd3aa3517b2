import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { databaseTrouble } from "../entities/database-trouble.js";
import { findDatabaseHolders } from "./database-holders.js";

/** gaia.db cannot be used (damaged, locked by another process, on a full disk): what is wrong and what to do. */
export class DatabaseProblem extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
    this.name = "DatabaseProblem";
  }
}

/**
 * The DatabaseProblem that explains `error`, met while opening gaia.db, or undefined when it is
 * no database trouble. Names the file, the processes holding it, the newest backup and the
 * commands that fix it.
 */
export function explainDatabaseError(error: unknown, where: { databaseFile: string; backupFolder: string }): DatabaseProblem | undefined {
  const trouble = databaseTrouble(error);
  const file = where.databaseFile;
  const reason = (error instanceof Error ? error.message : String(error)).replace(/^(QueryFailedError: )?SqliteError: /, "");
  switch (trouble) {
    case "damaged": {
      const backup = newestBackup(where.backupFolder);
      return new DatabaseProblem([
        `gaia.db is damaged and cannot be used (SQLite says: ${reason}): ${file}`,
        "What to do: move it (and its -wal and -shm files) aside, then restore the newest backup:",
        `  mv ${file} ${file}.damaged; mv ${file}-wal ${file}-wal.damaged; mv ${file}-shm ${file}-shm.damaged`,
        backup ? `  cp ${backup} ${file}` : `  (no backup found in ${where.backupFolder})`,
        "Without a backup, start gaia anyway: it creates a new, empty gaia.db (the audit trail and history start over).",
      ]);
    }
    case "locked": {
      const holders = findDatabaseHolders(file);
      return new DatabaseProblem([
        `gaia.db is locked by another process, which keeps it from being written: ${file}`,
        ...(holders.length
          ? holders.map((h) => `  held by pid ${h.pid}: ${h.command}`)
          : ["  (no process on this machine was found holding it: another user's, or one on another machine through a network share)"]),
        `What to do: finish or close that program${holders.length ? ` (or stop it: kill ${holders.map((h) => h.pid).join(" ")})` : ""}, then start gaia again.`,
      ]);
    }
    case "full":
      return new DatabaseProblem([
        `gaia.db cannot be written: the disk is full (SQLite says: ${reason}): ${file}`,
        `What to do: free some space on that disk (df -h ${dirname(file)} shows how much is left), then start gaia again.`,
      ]);
    default:
      return undefined;
  }
}

function newestBackup(folder: string): string | undefined {
  if (!existsSync(folder)) return undefined;
  try {
    const names = readdirSync(folder).filter((name) => /^gaia-.*\.db$/.test(name)).sort();
    return names.length ? join(folder, names[names.length - 1]) : undefined;
  } catch {
    return undefined;
  }
}
