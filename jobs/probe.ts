import type { Logger } from "pino";
import type { MonitorEngine } from "../incidents/monitor-engine.js";
import type { MonitorMetrics } from "./monitor-metrics.js";

/**
 * One probe cycle every `probe.every`: one snapshot of the process table and the host, the rules,
 * and whatever they decided stored (incidents, audit events, outbox rows, the rules' state).
 */
export function probeJob(options: { engine: MonitorEngine; logger: Logger; metrics?: MonitorMetrics }): () => Promise<void> {
  return async () => {
    const { transitions, recorded } = await options.engine.runCycle();
    for (const alert of recorded.queued) {
      options.metrics?.alertsQueued.inc({ subject_kind: alert.subjectKind, condition: alert.condition, change: alert.change });
    }
    if (transitions.length > 0) {
      options.logger.info(
        { transitions: transitions.map((t) => `${t.key} ${t.change}${t.muted ? " (muted)" : ""}${t.suppressed ? " (flapping)" : ""}`), queued: recorded.queued.length },
        "monitor: conditions changed",
      );
    }
  };
}
