import type { DataSource } from "typeorm";
import type { TelegramHealth } from "../bot/telegram-health.js";
import { LAST_HEARTBEAT_KEY, type StateStore } from "../entities/state-store.js";
import { ApiAnswer } from "./api-answer.js";
import type { ApiRoutes } from "./router.js";

export interface HealthReport {
  ok: boolean;
  lastHeartbeat: string | null;
  telegram: "up" | "down" | "off";
  /** `full`: gaia.db cannot be written for lack of space (the monitor still watches and alerts). */
  db: "ok" | "error" | "full";
}

/** `GET /healthz`: no auth, no secrets; 503 with `ok: false` when unhealthy. */
export function healthRoutes(check: () => Promise<HealthReport>): ApiRoutes {
  return (router) => {
    router.get("/healthz", async () => {
      const report = await check();
      return ApiAnswer.json(report.ok ? 200 : 503, report);
    });
  };
}

/**
 * What `/healthz` reports. Unhealthy means "restarting gaia would help": gaia.db fails, or the
 * heartbeat is older than two periods (the job loop is stuck even though the HTTP server still
 * answers). An unreachable Telegram is reported (`telegram: "down"`) but stays healthy: a
 * container restarted for a Telegram outage would only stop watching, and alerts wait in the
 * outbox until Telegram answers again.
 */
export async function checkHealth(deps: {
  dataSource: DataSource;
  state: StateStore;
  telegram: Pick<TelegramHealth, "state">;
  heartbeatEveryMs: number;
  storage?: { readonly full: boolean };
  now: () => Date;
}): Promise<HealthReport> {
  let db: HealthReport["db"] = "ok";
  let lastHeartbeat: string | null = null;
  try {
    lastHeartbeat = (await deps.state.get<string>(LAST_HEARTBEAT_KEY)) ?? null;
    await deps.dataSource.query("SELECT 1");
  } catch {
    db = "error";
  }
  if (db === "ok" && deps.storage?.full) db = "full";
  const beatFresh = lastHeartbeat !== null && deps.now().getTime() - Date.parse(lastHeartbeat) <= 2 * deps.heartbeatEveryMs;
  return { ok: db === "ok" && beatFresh, lastHeartbeat, telegram: deps.telegram.state, db };
}
