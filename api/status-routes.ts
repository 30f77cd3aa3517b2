import type { StatusReport } from "../queries/status-report.js";
import type { ApiRoutes } from "./server.js";

/** `GET /v1/status`: the data behind /status, as JSON (the bearer check is the server's). */
export function statusRoutes(report: () => Promise<StatusReport>): ApiRoutes {
  return (app) => {
    app.get("/v1/status", async () => report());
  };
}
