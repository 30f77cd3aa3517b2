import { z } from "zod";
import { OUTPUT_TAIL_LIMIT } from "./output-tail.js";

/**
 * The body of `POST /v1/runs` (CONTRACT section 6), which is also what `gaia run` keeps under
 * `.tmp/spool/` while no monitor runs. Beyond the contract, a report may carry `startedAt`,
 * `endedAt` (ISO 8601) and `timedOut`, so that a report delivered late keeps the real times and a
 * run stopped by its `timeout` is told apart from one that failed.
 */
export type RunReport = RunStartReport | RunEndReport;

export interface RunStartReport {
  task: string;
  event: "start";
  runId?: string;
  startedAt?: string;
  /**
   * The process running the job (`gaia run` itself): its pid, start time in clock ticks since
   * boot and boot id, so that the monitor can close the run as `lost` when that process is gone.
   */
  launcher?: RunLauncher;
}

/** Identifies the launcher process of a run (see `monitor/process-identity.ts`). */
export interface RunLauncher {
  pid: number;
  startTicks: number;
  bootId?: string;
}

export interface RunEndReport {
  task: string;
  event: "end";
  runId?: string;
  exitCode: number;
  durationMs?: number;
  outputTail?: string;
  startedAt?: string;
  endedAt?: string;
  timedOut?: boolean;
}

const iso = z.iso.datetime({ offset: true, message: "expected an ISO 8601 time such as 2026-01-31T09:00:00Z" });

const runReportSchema = z
  .object({
    task: z.string({ message: "expected the task's name" }).regex(/^[a-z0-9_-]{1,32}$/, { message: "expected a task name (1-32 of a-z 0-9 _ -)" }),
    event: z.enum(["start", "end"], { message: 'expected "start" or "end"' }),
    runId: z.string().regex(/^[A-Za-z0-9_-]{8,40}$/, { message: "expected 8-40 characters of A-Z a-z 0-9 _ -" }).optional(),
    exitCode: z.int({ message: "expected an integer from 0 to 255" }).min(0, { message: "expected an integer from 0 to 255" }).max(255, { message: "expected an integer from 0 to 255" }).optional(),
    durationMs: z.int({ message: "expected a whole number of milliseconds" }).min(0, { message: "expected a whole number of milliseconds" }).optional(),
    outputTail: z.string({ message: "expected a string" }).max(OUTPUT_TAIL_LIMIT, { message: `at most ${OUTPUT_TAIL_LIMIT} characters` }).optional(),
    startedAt: iso.optional(),
    endedAt: iso.optional(),
    timedOut: z.boolean({ message: "expected true or false" }).optional(),
    launcher: z
      .object({
        pid: z.int({ message: "expected a process id" }).min(1, { message: "expected a process id" }).max(2 ** 31 - 1, { message: "expected a process id" }),
        startTicks: z.int({ message: "expected clock ticks since boot" }).min(0, { message: "expected clock ticks since boot" }),
        bootId: z.string().regex(/^[0-9a-f-]{1,64}$/i, { message: "expected a boot id" }).optional(),
      }, { message: "expected { pid, startTicks, bootId? }" })
      .strict()
      .optional(),
  })
  .superRefine((report, ctx) => {
    if (report.event === "end" && report.exitCode === undefined) {
      ctx.addIssue({ code: "custom", path: ["exitCode"], message: "required when event is end" });
    }
    if (report.event === "end" && report.launcher !== undefined) {
      ctx.addIssue({ code: "custom", path: ["launcher"], message: "only for event start" });
    }
    if (report.event === "start") {
      for (const key of ["exitCode", "durationMs", "outputTail", "endedAt", "timedOut"] as const) {
        if (report[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "only for event end" });
      }
    }
  });

/**
 * Validates a run report. Problems are one line per field, `field: what is wrong`, ready for a
 * 422 answer or a log line.
 */
export function parseRunReport(body: unknown): { ok: true; report: RunReport } | { ok: false; problems: string[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, problems: ["body: expected a JSON object with task and event"] };
  }
  const result = runReportSchema.safeParse(body);
  if (result.success) return { ok: true, report: result.data as RunReport };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`),
  };
}
