import type { ServiceMatch } from "../config/types.js";

/**
 * What an alert says, as data (not HTML): written to the outbox before any network call and
 * rendered by `bot/render/` at delivery time. Monitoring (services, host) and tasks both produce it.
 */
export interface AlertPayload {
  subjectKind: "service" | "host" | "task";
  /** The service or task name, or "host". */
  subject: string;
  /** down | cpu | memory | disk | mount | flapping | certificate (services, host); failed | timeout | missed (tasks). */
  condition: string;
  change: "opened" | "resolved" | "reminder";
  /** The incident row this alert is about. */
  incidentId: number;
  /** When the change happened (ISO 8601). */
  at: string;
  openedAt: string;
  /** Resolved: how long it lasted; reminder: how long so far. */
  durationMs?: number;
  /** A listed disk's path (`host.disks`), for its disk and mount alerts. */
  mount?: string;
  /** The figure and its threshold, for threshold alerts. */
  figures?: { value?: number; threshold?: number; unit?: "%" | "%core" | "bytes" | "days" };
  /** Facts that help the admin act (other services down, the busiest processes...), worded by `bot/render/`. */
  facts?: AlertFact[];
  /**
   * Extra lines of plain text (escaped when rendered). Task alerts still carry their lines here, and
   * so do service and host alerts queued before `facts` existed (outbox rows of an older gaia.db).
   */
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
  /** Sentences, as notices queued by earlier versions carry them; new notices carry facts below. */
  lines?: string[];
  /** A token rotation notice, worded (with its buttons) by `bot/render/rotation.ts`. */
  rotation?: RotationNotice;
  /** The "Gaia started" notice, worded by `bot/render/start-notice.ts`. */
  start?: StartNotice;
  /** gaia.db's disk filled up or has room again, worded by `bot/render/storage-notice.ts`. */
  storage?: StorageNotice;
  /** A maintenance window ended with incidents of its services still open, worded by `bot/render/maintenance-notice.ts`. */
  maintenance?: MaintenanceNotice;
  /** The daily digest, worded by `bot/render/digest.ts`. */
  digest?: DigestNotice;
  /** Sent as a message of its own, never grouped: its buttons belong to it. */
  standalone?: boolean;
}

/** The last day, as facts (times as ISO 8601). */
export interface DigestNotice {
  from: string;
  to: string;
  incidents: { subject: string; subjectKind: string; condition: string; openedAt: string; resolvedAt: string | null }[];
  downtime: { service: string; ms: number }[];
  failedRuns: { task: string; status: string; exitCode: number | null; startedAt: string }[];
  runs: number;
  approvals: { approved: number; denied: number; expired: number };
  hostPeaks: { cpu: number | null; memory: number | null; disk: number | null };
}

/** The end of a maintenance window and what is still wrong (times as ISO 8601). */
export interface MaintenanceNotice {
  services: string[];
  startedAt: string;
  endedAt: string;
  stillOpen: { subject: string; condition: string; openedAt: string }[];
}

/** What the "Gaia started" notice reports, as facts (times as ISO 8601). */
export interface StartNotice {
  /** No heartbeat of an earlier run: a new gaia.db. */
  firstStart: boolean;
  /** When the host booted, when it rebooted since the previous run. */
  rebootedAt?: string;
  /** The monitor's own downtime, when longer than two heartbeat periods. */
  monitorDown?: { from: string; to: string };
  /** Services watched, in config order. */
  services: string[];
}

/** What a storage notice reports, as facts (times as ISO 8601: a held notice may be stored later). */
export type StorageNotice = { event: "full"; heldMax: number } | { event: "recovered"; fullSince: string; at: string; dropped: number };

/** What a rotation notice reports, as facts. */
export interface RotationNotice {
  event: "due" | "interrupted" | "resumed" | "rolled-back" | "done" | "expiring";
  identity: "pat" | "app";
  rotationId?: number;
  /** The step the rotation had reached. */
  step?: string;
  /** Why it rolled back, or a warning of a finished rotation. */
  reason?: string;
  newFingerprint?: string;
  oldFingerprint?: string;
  /** expiring: when the current token expires (ISO 8601). */
  expiresAt?: string;
}

/** A process named in an alert: its command line already redacted of secrets. */
export interface AlertProcess {
  pid: number;
  command: string;
  cpuPercent: number;
  memoryBytes: number;
}

/** One fact an alert carries beside its headline, as data; `bot/render/alert-facts.ts` words it. */
export type AlertFact =
  /** How the service is found (its `match:` in gaia.yml). */
  | { kind: "watchedBy"; match: ServiceMatch }
  | { kind: "alsoDown"; services: string[] }
  | { kind: "runningAgain"; processCount: number; pids: number[] }
  | { kind: "topProcesses"; by: "cpu" | "memory"; processes: AlertProcess[] }
  | { kind: "summedOver"; processCount: number }
  /** `up`: whether the service is up at the moment the notice was written. */
  | { kind: "flapping"; changes?: number; up?: boolean }
  | { kind: "container"; state: string; exitCode?: number; health?: string; restartCount: number; problem?: string; timeoutMs?: number }
  /** An endpoint's latest check: why it counts as down (`problem` as in EndpointResult). */
  | { kind: "endpoint"; problem?: string; statusCode?: number; timeoutMs?: number }
  | { kind: "unit"; activeState: string; subState: string; loadState?: string; type?: string; result?: string; restarts: number; exitStatus?: number; signal?: number; problem?: string }
  | { kind: "settled"; up: boolean };
