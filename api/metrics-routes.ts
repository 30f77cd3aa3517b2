import type { Registry } from "prom-client";
import { ApiAnswer } from "./api-answer.js";
import type { ApiRoutes } from "./router.js";

/** `GET /metrics`: the registry in Prometheus text format (no auth, like /healthz; no secrets in it). */
export function metricsRoutes(registry: Registry): ApiRoutes {
  return (router) => {
    router.get("/metrics", async () => ApiAnswer.text(200, await registry.metrics(), registry.contentType));
  };
}
