import type { Logger } from "pino";
import type { MonitorEngine } from "../monitor/monitor-engine.js";

/**
 * One probe cycle every `probe.every`: one snapshot of the process table and the host, the rules,
 * and whatever they decided stored (incidents, audit events, outbox rows, the rules' state).
 */
export function probeJob(options: { engine: MonitorEngine; logger: Logger }): () => Promise<void> {
  return async () => {
    const { transitions, recorded } = await options.engine.runCycle();
    if (transitions.length > 0) {
      options.logger.info(
        { transitions: transitions.map((t) => `${t.key} ${t.change}${t.muted ? " (muted)" : ""}${t.suppressed ? " (flapping)" : ""}`), queued: recorded.queued.length },
        "monitor: conditions changed",
      );
    }
  };
}
