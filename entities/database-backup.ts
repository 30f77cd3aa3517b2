import { closeSync, chmodSync, openSync, renameSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import type { DataSource } from "typeorm";

/**
 * Copies gaia.db to `destination` with SQLite's online backup (better-sqlite3 `db.backup()`): a
 * consistent copy taken page by page between other work, so the monitor keeps running and
 * writing meanwhile. The copy is made under a temporary name created 0600 beforehand (SQLite keeps
 * an existing file's mode) and renamed into place once complete, so a half-made backup never
 * looks like a backup. The copy is one self-contained file (no -wal beside it): restoring it is a `cp`.
 */
export async function backupDatabase(dataSource: DataSource, destination: string): Promise<void> {
  const connection = (dataSource.driver as unknown as { databaseConnection: { backup(file: string): Promise<unknown> } }).databaseConnection;
  const partial = `${destination}.partial`;
  rmSync(partial, { force: true });
  closeSync(openSync(partial, "wx", 0o600));
  try {
    await connection.backup(partial);
    // The copy inherits WAL mode; one self-contained file is what a restore (cp) expects.
    const copy = new Database(partial);
    copy.pragma("journal_mode = DELETE");
    copy.close();
    chmodSync(partial, 0o600);
    renameSync(partial, destination);
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
    throw error;
  }
}
