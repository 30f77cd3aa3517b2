import { statfsSync } from "node:fs";
import { databaseTrouble } from "./database-trouble.js";

/** Free space below which a full disk is not yet considered recovered (a write may fit in a freed page). */
const RECOVERED_FREE_BYTES = 4 * 1024 * 1024;

/** A change of gaia.db's writability: the disk filled up, or has room again. */
export type StorageChange = { kind: "full"; at: Date } | { kind: "recovered"; at: Date; fullSince: Date };

/**
 * Whether gaia.db can be written, as its writes show it: the first write that fails with a full
 * disk turns it `full`; it is `recovered` once a write succeeds again AND the disk has a few MiB
 * free (SQLite reuses pages of its WAL, so one small write may succeed on a full disk: without
 * the margin the chat would hear "full" and "recovered" over and over). Listeners hear each change once.
 */
export class StorageHealth {
  private fullSince?: Date;
  private readonly listeners: ((change: StorageChange) => void)[] = [];

  constructor(
    /** A folder on gaia.db's file system, for its free space. */
    private readonly folder: string,
    private readonly now: () => Date = () => new Date(),
    private readonly freeBytes: (folder: string) => number = freeBytesOf,
  ) {}

  /** True while gaia.db's writes fail for lack of space. */
  get full(): boolean {
    return this.fullSince !== undefined;
  }

  /** Since when, while full. */
  get since(): Date | undefined {
    return this.fullSince;
  }

  onChange(listener: (change: StorageChange) => void): void {
    this.listeners.push(listener);
  }

  /** Called with the outcome of every write: an error, or undefined when it succeeded. */
  observe(error: unknown): void {
    if (error !== undefined) {
      if (databaseTrouble(error) === "full" && !this.fullSince) {
        this.fullSince = this.now();
        this.emit({ kind: "full", at: this.fullSince });
      }
      return;
    }
    if (!this.fullSince || this.freeBytes(this.folder) < RECOVERED_FREE_BYTES) return;
    const fullSince = this.fullSince;
    this.fullSince = undefined;
    this.emit({ kind: "recovered", at: this.now(), fullSince });
  }

  private emit(change: StorageChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function freeBytesOf(folder: string): number {
  try {
    const stats = statfsSync(folder);
    return stats.bavail * stats.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
