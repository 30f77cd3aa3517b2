import { join } from "node:path";
import { writePrivateFileAtomic } from "../config/write-private-file.js";
import type { RunEndReport } from "./run-report.js";

/** A finished run's report with its id: what the spool holds, one file per run. */
export type SpooledRun = RunEndReport & { runId: string };

/**
 * Keeps a run report under `.tmp/spool/` while no monitor takes it: `<runId>.json`, written
 * atomically with mode 0600 (a crash leaves the whole file or none), so the monitor never reads
 * half a report. A second write of the same run replaces the first. (The launcher writes the
 * spool and the monitor reads it, in `spooled-runs.ts`; this half stays free of the validator.)
 */
export function spoolRunReport(spoolDir: string, report: SpooledRun): string {
  const file = join(spoolDir, `${report.runId}.json`);
  writePrivateFileAtomic(file, `${JSON.stringify(report)}\n`);
  return file;
}
