import type { Logger } from "pino";
import type { AuditTrail } from "../entities/audit-trail.js";
import type { StorageHealth } from "../entities/storage-health.js";
import type { HeldAlerts } from "./held-alerts.js";

/**
 * Tells the chat when gaia.db's disk fills up and when it has room again, once each. The notices
 * are held in memory like the alerts of that time (gaia.db cannot take an outbox row), and the
 * outage is audited once it is over. `deliverSoon` asks for the held notice to be sent at once.
 */
export function reportStorageChanges(deps: { storage: StorageHealth; held: HeldAlerts; audit: AuditTrail; logger: Logger; database: string; deliverSoon: () => void }): void {
  const { held, audit, logger } = deps;
  deps.storage.onChange((change) => {
    if (change.kind === "full") {
      logger.error({ database: deps.database }, "gaia.db cannot be written: the disk is full; alerts are kept in memory and sent from there");
      held.hold({ kind: "notice", payload: { title: "Disk full", storage: { event: "full", heldMax: held.max } } });
    } else {
      logger.info({ fullSince: change.fullSince.toISOString() }, "gaia.db can be written again");
      const recovered = { event: "recovered" as const, fullSince: change.fullSince.toISOString(), at: change.at.toISOString(), dropped: held.takeDropped() };
      held.hold({ kind: "notice", payload: { title: "Disk has room again", storage: recovered } });
      void audit
        .record({ kind: "gaia.disk-full", message: `gaia.db could not be written (disk full) from ${recovered.fullSince} to ${recovered.at}`, details: { from: recovered.fullSince, to: recovered.at } })
        .catch(() => undefined);
    }
    deps.deliverSoon();
  });
}
