import type { StatusReport } from "../queries/status-report.js";
import type { ApiRoutes } from "./router.js";

/** `GET /v1/status`: the data behind /status, as JSON (the bearer check is the server's). */
export function statusRoutes(report: () => Promise<StatusReport>): ApiRoutes {
  return (router) => {
    router.get("/v1/status", () => report());
  };
}
