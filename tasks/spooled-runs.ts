import { readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseRunReport } from "./run-report.js";
import type { SpooledRun } from "./run-spool.js";

/** One file of the spool, read back: its report, or why it cannot be used. */
export type SpoolEntry = { file: string; report: SpooledRun } | { file: string; problem: string };

/**
 * The spooled reports, oldest run first (by `endedAt`), so that a failure and the success after it
 * are taken in the order they happened. Temporary files of a write in progress are skipped.
 */
export function readSpool(spoolDir: string): SpoolEntry[] {
  let names: string[];
  try {
    names = readdirSync(spoolDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const entries = names
    .filter((name) => name.endsWith(".json") && !name.startsWith("."))
    .map((name): SpoolEntry => {
      const file = join(spoolDir, name);
      let body: unknown;
      try {
        body = JSON.parse(readFileSync(file, "utf8"));
      } catch (error) {
        return { file, problem: `not readable as JSON: ${(error as Error).message}` };
      }
      const parsed = parseRunReport(body);
      if (!parsed.ok) return { file, problem: parsed.problems.join("; ") };
      if (parsed.report.event !== "end" || !parsed.report.runId) return { file, problem: "not the end report of a run with a runId" };
      return { file, report: parsed.report as SpooledRun };
    });
  const time = (entry: SpoolEntry) => ("report" in entry ? (entry.report.endedAt ?? "") : "");
  return entries.sort((a, b) => time(a).localeCompare(time(b)) || a.file.localeCompare(b.file));
}

/** Removes a spooled report once the monitor has recorded it. */
export function removeSpooled(file: string): void {
  rmSync(file, { force: true });
}

/** Sets aside a file that can never be ingested (`<name>.bad`), so that it is not retried forever. */
export function setAsideSpooled(file: string): void {
  renameSync(file, `${file}.bad`);
}
