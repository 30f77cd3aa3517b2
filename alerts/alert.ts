/**
 * What an alert says, as data (not HTML): written to the outbox before any network call and
 * rendered by `bot/render/` at delivery time. Monitoring (services, host) and tasks both produce it.
 */
export interface AlertPayload {
  subjectKind: "service" | "host" | "task";
  /** The service or task name, or "host". */
  subject: string;
  /** down | cpu | memory | disk | flapping (services, host); failed | timeout | missed (tasks). */
  condition: string;
  change: "opened" | "resolved" | "reminder";
  /** The incident row this alert is about. */
  incidentId: number;
  /** When the change happened (ISO 8601). */
  at: string;
  openedAt: string;
  /** Resolved: how long it lasted; reminder: how long so far. */
  durationMs?: number;
  /** The figure and its threshold, for threshold alerts. */
  figures?: { value?: number; threshold?: number; unit?: "%" | "%core" | "bytes" };
  /** Extra lines (plain text; escaped when rendered): top processes, other services down... */
  details?: string[];
  /** A block shown monospaced, e.g. a task's output tail (already redacted). */
  pre?: string;
  /** Buttons the alert offers. */
  actions?: ("ack" | "mute" | "restart")[];
}

/** The outbox kinds gaia writes. */
export type OutboxKind = "alert" | "notice";

/** A plain notice (monitor started, monitor was down...): a few lines of text. */
export interface NoticePayload {
  title: string;
  lines?: string[];
}
