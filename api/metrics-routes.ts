import type { Registry } from "prom-client";
import type { ApiRoutes } from "./server.js";

/** `GET /metrics`: the registry in Prometheus text format (no auth, like /healthz; no secrets in it). */
export function metricsRoutes(registry: Registry): ApiRoutes {
  return (app) => {
    app.get("/metrics", async (_request, reply) => {
      const text = await registry.metrics();
      return reply.header("content-type", registry.contentType).send(text);
    });
  };
}
