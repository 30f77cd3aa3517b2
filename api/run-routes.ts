import { RunNotAccepted, type TaskMonitor } from "../incidents/task-monitor.js";
import { ApiError } from "./api-error.js";
import { ApiAnswer } from "./api-answer.js";
import type { ApiRoutes } from "./router.js";

/**
 * `POST /v1/runs` (CONTRACT section 6): the start and end of a scheduled job's run, from
 * `gaia run` or any script. A start answers 201 `{ runId }`, an end 200 `{ runId, status }`;
 * 404 for a task not in gaia.yml, 422 naming each bad field. Reports are idempotent by `runId`.
 */
export function runRoutes(tasks: TaskMonitor): ApiRoutes {
  return (router) => {
    router.post("/v1/runs", async (request) => {
      // Its validator (zod) loads with the first report, not before the monitor's first long poll.
      const { parseRunReport } = await import("../tasks/run-report.js");
      const parsed = parseRunReport(request.body);
      if (!parsed.ok) throw new ApiError(422, parsed.problems.join("; "));
      const report = parsed.report;
      try {
        if (report.event === "start") {
          const { runId } = await tasks.recordStart(report);
          return ApiAnswer.json(201, { runId });
        }
        const { runId, status } = await tasks.recordEnd(report);
        return ApiAnswer.json(200, { runId, status });
      } catch (error) {
        if (error instanceof RunNotAccepted) throw new ApiError(error.reason === "unknown-task" ? 404 : 409, error.message);
        throw error;
      }
    });
  };
}
