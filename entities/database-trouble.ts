/**
 * What went wrong with gaia.db, read from SQLite's (or the file system's) error code: the disk is
 * full, another process holds the database's lock, or the file is not a sound SQLite database.
 * TypeORM wraps SQLite's error in a QueryFailedError with the code copied on it and the original
 * as `driverError`; both are read, and any `cause` chain.
 */
export type DatabaseTrouble = "full" | "locked" | "damaged";

/** The trouble `error` reports, or undefined for any other error. */
export function databaseTrouble(error: unknown): DatabaseTrouble | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      // SQLite maps ENOSPC to SQLITE_FULL; a write error it cannot name is an IOERR (a full or failing disk).
      if (/^SQLITE_(FULL|IOERR)/.test(code) || code === "ENOSPC" || code === "EDQUOT") return "full";
      if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return "locked";
      if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return "damaged";
    }
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}
