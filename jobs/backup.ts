import { mkdirSync, readdirSync, rmSync, statSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { backupDatabase } from "../entities/database-backup.js";

export interface BackupOptions {
  dataSource: DataSource;
  databaseFile: string;
  /** `backup:` of gaia.yml: how often (0: never), how many kept, where. */
  everyMs: number;
  keep: number;
  folder: string;
  logger: Logger;
  now: () => Date;
}

/** How often the job looks whether a backup is due. */
export const BACKUP_CHECK_EVERY_MS = 60 * 60_000;

/** `gaia-2026-12-02T031500Z.db`: UTC, so that names sort by time. */
const BACKUP_NAME = /^gaia-\d{4}-\d{2}-\d{2}T\d{6}Z\.db$/;

/**
 * The backup job: checked hourly and at start, it copies gaia.db (see database-backup.ts) into
 * `backup.folder` when the newest copy there is older than `backup.every`, so restarts neither
 * skip a backup nor make extra ones; then only the newest `backup.keep` copies are kept. A disk
 * without room for one more copy is left alone (a warning says so): a backup must not be what
 * fills it. Returns the file written, if any.
 */
export async function runBackup(options: BackupOptions): Promise<string | undefined> {
  if (options.everyMs === 0) return undefined;
  mkdirSync(options.folder, { recursive: true, mode: 0o700 });
  const existing = backupsIn(options.folder);
  const now = options.now();
  const newest = existing.at(-1);
  // Half a check period of slack, so that a daily backup does not drift by an hour each day.
  if (newest && now.getTime() - takenAt(newest) < options.everyMs - BACKUP_CHECK_EVERY_MS / 2) return undefined;
  const size = statSync(options.databaseFile).size;
  const free = freeBytes(options.folder);
  if (free < size * 2) {
    options.logger.warn({ folder: options.folder, freeBytes: free, databaseBytes: size }, "backup of gaia.db skipped: not enough free space for another copy");
    return undefined;
  }
  const file = join(options.folder, `gaia-${now.toISOString().replace(/[:]/g, "").replace(/\.\d{3}Z$/, "Z")}.db`);
  await backupDatabase(options.dataSource, file);
  const all = backupsIn(options.folder);
  for (const old of all.slice(0, Math.max(0, all.length - options.keep))) rmSync(join(options.folder, old), { force: true });
  options.logger.info({ file, kept: Math.min(all.length, options.keep) }, "backed up gaia.db");
  return file;
}

/** The job the scheduler runs. */
export function backupJob(options: BackupOptions): () => Promise<void> {
  return async () => {
    await runBackup(options);
  };
}

/** When a backup was taken, from its name. */
function takenAt(name: string): number {
  const [, date, hh, mm, ss] = /^gaia-(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(name)!;
  return Date.parse(`${date}T${hh}:${mm}:${ss}Z`);
}

function backupsIn(folder: string): string[] {
  return readdirSync(folder).filter((name) => BACKUP_NAME.test(name)).sort();
}

function freeBytes(folder: string): number {
  try {
    const stats = statfsSync(folder);
    return stats.bavail * stats.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
