import { In, LessThan, type DataSource } from "typeorm";
import type { Logger } from "pino";
import { ApprovalRequest } from "../entities/approval-request.js";
import { AuditEvent } from "../entities/audit-event.js";
import { Incident } from "../entities/incident.js";
import { OutboxMessage } from "../entities/outbox-message.js";
import { Sample } from "../entities/sample.js";

export interface RetentionOptions {
  dataSource: DataSource;
  /** `retention.events`: audit events, resolved incidents, sent outbox rows and decided approval requests older than this go. */
  eventsMs: number;
  /** `retention.samples`: sparkline samples older than this go. */
  samplesMs: number;
  logger: Logger;
  now: () => Date;
}

/** How many rows one retention run removed, by table (a plain record, so it can be logged or summed as one). */
export type RetentionResult = {
  events: number;
  incidents: number;
  outbox: number;
  approvals: number;
  samples: number;
};

/**
 * Keeps gaia.db small: deletes what is older than `retention.events` and `retention.samples`.
 * Open incidents, pending outbox rows and pending approval requests are never deleted, however old.
 */
export async function applyRetention(options: RetentionOptions): Promise<RetentionResult> {
  const now = options.now().getTime();
  const eventsBefore = new Date(now - options.eventsMs);
  const samplesBefore = new Date(now - options.samplesMs);
  const db = options.dataSource;
  const result: RetentionResult = {
    events: (await db.getRepository(AuditEvent).delete({ at: LessThan(eventsBefore) })).affected ?? 0,
    incidents: (await db.getRepository(Incident).delete({ status: "resolved", resolvedAt: LessThan(eventsBefore) })).affected ?? 0,
    outbox: (await db.getRepository(OutboxMessage).delete({ status: In(["delivered", "dropped", "muted"]), createdAt: LessThan(eventsBefore) })).affected ?? 0,
    // A request made before the cut-off was decided or expired long ago: its answer has been read.
    approvals: (await db.getRepository(ApprovalRequest).delete({ status: In(["approved", "denied", "expired"]), createdAt: LessThan(eventsBefore) })).affected ?? 0,
    samples: (await db.getRepository(Sample).delete({ at: LessThan(samplesBefore) })).affected ?? 0,
  };
  return result;
}

/** The retention job (hourly, and once at start). */
export function retentionJob(options: RetentionOptions): () => Promise<void> {
  return async () => {
    const removed = await applyRetention(options);
    if (removed.events + removed.incidents + removed.outbox + removed.approvals + removed.samples > 0) {
      options.logger.info({ removed }, "retention: removed old rows from gaia.db");
    }
  };
}
