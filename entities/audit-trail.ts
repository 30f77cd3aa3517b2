import type { DataSource, EntityManager } from "typeorm";
import { AuditEvent } from "./audit-event.js";

export interface AuditEntry {
  kind: string;
  message: string;
  actor?: string;
  subject?: string | null;
  details?: Record<string, unknown> | null;
  at?: Date;
}

/** The audit trail in gaia.db. Writing an entry is one call: `audit.record({...})`. */
export class AuditTrail {
  constructor(private readonly dataSource: DataSource, private readonly now: () => Date = () => new Date()) {}

  /**
   * Appends one entry. Callers pass no secrets: details hold fingerprints, never values. Pass the
   * EntityManager of a transaction to write the entry atomically with the change it records.
   */
  async record(entry: AuditEntry, options: { manager?: EntityManager } = {}): Promise<AuditEvent> {
    const repo = (options.manager ?? this.dataSource.manager).getRepository(AuditEvent);
    return repo.save(
      repo.create({
        at: entry.at ?? this.now(),
        kind: entry.kind,
        message: entry.message,
        actor: entry.actor ?? "system",
        subject: entry.subject ?? null,
        details: entry.details ?? null,
      }),
    );
  }

  /** The newest entries, optionally about one subject. */
  async recent(options: { subject?: string; limit?: number; offset?: number } = {}): Promise<AuditEvent[]> {
    return this.dataSource.getRepository(AuditEvent).find({
      where: options.subject ? { subject: options.subject } : {},
      order: { at: "DESC", id: "DESC" },
      take: options.limit ?? 20,
      skip: options.offset ?? 0,
    });
  }
}
