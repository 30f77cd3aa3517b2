import type { DataSource } from "typeorm";
import type { AuditTrail } from "../entities/audit-trail.js";
import { Mute } from "../entities/mute.js";

/** A mute as the rules and delivery see it. */
export interface ActiveMute {
  /** "all", or a service or task name. */
  subject: string;
  until: Date;
  mutedBy: string;
}

/**
 * The mutes set with `/mute` or an alert's `Mute 1h` button: kept in gaia.db (they survive a
 * restart) and cached here, because the rules ask on every probe. Muted incidents are recorded
 * but not sent.
 */
export class MuteList {
  private mutes = new Map<string, ActiveMute>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Reads the mutes from gaia.db; expired ones are deleted on the way. */
  async load(): Promise<void> {
    const repo = this.dataSource.getRepository(Mute);
    const now = this.now().getTime();
    this.mutes.clear();
    for (const row of await repo.find()) {
      if (row.until.getTime() <= now) await repo.delete({ subject: row.subject });
      else this.mutes.set(row.subject, { subject: row.subject, until: row.until, mutedBy: row.mutedBy });
    }
  }

  /** The mutes in force now, soonest to end first. */
  active(): ActiveMute[] {
    const now = this.now().getTime();
    return [...this.mutes.values()].filter((m) => m.until.getTime() > now).sort((a, b) => a.until.getTime() - b.until.getTime());
  }

  /** The mute that silences `subject` now (its own, or "all"), if any. The host is muted only by "all". */
  mutedBy(subject: string): ActiveMute | undefined {
    return this.active().find((m) => m.subject === "all" || m.subject === subject);
  }

  /** Mutes `subject` ("all" or a name) until `until`, replacing an earlier mute of it; audited. */
  async mute(subject: string, until: Date, actor: string): Promise<ActiveMute> {
    const at = this.now();
    const mute: ActiveMute = { subject, until, mutedBy: actor };
    await this.dataSource.getRepository(Mute).save({ subject, until, mutedBy: actor, createdAt: at });
    this.mutes.set(subject, mute);
    await this.audit.record({
      kind: "alerts.muted",
      actor,
      subject: subject === "all" ? null : subject,
      message: `Muted ${subject === "all" ? "all alerts" : subject} until ${until.toISOString()}`,
      details: { subject, until: until.toISOString() },
    });
    return mute;
  }

  /** Ends the mute of `subject`; false when there was none in force. Audited. */
  async unmute(subject: string, actor: string): Promise<boolean> {
    const wasActive = this.active().some((m) => m.subject === subject);
    await this.dataSource.getRepository(Mute).delete({ subject });
    this.mutes.delete(subject);
    if (wasActive) {
      await this.audit.record({
        kind: "alerts.unmuted",
        actor,
        subject: subject === "all" ? null : subject,
        message: `Unmuted ${subject === "all" ? "all alerts" : subject}`,
        details: { subject },
      });
    }
    return wasActive;
  }
}
