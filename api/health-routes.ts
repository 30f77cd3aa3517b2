import type { ApiRoutes } from "./server.js";

export interface HealthReport {
  ok: boolean;
  lastHeartbeat: string | null;
  telegram: "up" | "down" | "off";
  db: "ok" | "error";
}

/** `GET /healthz`: no auth, no secrets; 503 with `ok: false` when unhealthy. */
export function healthRoutes(check: () => Promise<HealthReport>): ApiRoutes {
  return (app) => {
    app.get("/healthz", async (_request, reply) => {
      const report = await check();
      return reply.status(report.ok ? 200 : 503).send(report);
    });
  };
}
