import type { DataSource } from "typeorm";
import { ANY_HOST } from "../entities/host-scope.js";
import { AuditEvent } from "../entities/audit-event.js";
import { Incident } from "../entities/incident.js";
import { TaskRun } from "../entities/task-run.js";

/** One line of /history: an incident, an audit event, or a run of a task. */
export type HistoryEntry = (
  | {
      kind: "incident";
      /** When it opened: what the timeline is sorted by. */
      at: string;
      id: number;
      subjectKind: string;
      subjectName: string;
      condition: string;
      resolvedAt: string | null;
      acknowledged: boolean;
      muted: boolean;
    }
  | { kind: "event"; at: string; id: number; eventKind: string; actor: string; subject: string | null; message: string }
  | { kind: "run"; at: string; id: string; task: string; status: string; exitCode: number | null; durationMs: number | null }
) & {
  /** The host it happened on: set when the page reaches beyond this host (a shared PostgreSQL). */
  host?: string;
};

/** One page of the timeline, newest first. */
export interface HistoryPage {
  /** The service, task or other subject it is about; null for everything. */
  subject: string | null;
  /** The hosts it covers: undefined for this host, `*` for every host, or one host's name. */
  host?: string;
  entries: HistoryEntry[];
  /** 0-based. */
  page: number;
  pages: number;
  total: number;
}

/** `host` of readHistoryPage for the timeline of every host sharing the database. */
export const ALL_HOSTS = "*";

/** Deep pages cost a read of every newer row: beyond this, /history points to the audit trail. */
export const MAX_HISTORY_PAGES = 100;

/**
 * Reads one page of the timeline from gaia.db, newest first: incidents (by when they opened) and
 * audit events about `subject` (or about anything), and for a task its runs too. The sources are
 * merged by time, so each page holds the `perPage` newest entries after the previous pages.
 */
export async function readHistoryPage(
  dataSource: DataSource,
  options: { subject: string | null; page: number; perPage: number; isTask: boolean; host?: string },
): Promise<HistoryPage> {
  const { subject, perPage } = options;
  // Without `host`, the DataSource shows this host's rows only (entities/host-scope.ts).
  const scope = options.host === undefined ? {} : { host: options.host === ALL_HOSTS ? ANY_HOST : options.host };
  const hostOf = (row: { host?: string }) => (options.host === undefined ? {} : { host: row.host ?? "" });
  const incidents = dataSource.getRepository(Incident);
  const events = dataSource.getRepository(AuditEvent);
  const runs = dataSource.getRepository(TaskRun);
  const withRuns = subject !== null && options.isTask;
  const [incidentCount, eventCount, runCount] = await Promise.all([
    incidents.count({ where: { ...(subject ? { subjectName: subject } : {}), ...scope } }),
    events.count({ where: { ...(subject ? { subject } : {}), ...scope } }),
    withRuns ? runs.count({ where: { task: subject, ...scope } }) : Promise.resolve(0),
  ]);
  const total = incidentCount + eventCount + runCount;
  const pages = Math.min(MAX_HISTORY_PAGES, Math.max(1, Math.ceil(total / perPage)));
  const page = Math.min(pages - 1, Math.max(0, Math.floor(options.page)));
  // The newest (page + 1) × perPage of each source hold every entry of this page.
  const take = (page + 1) * perPage;
  const [incidentRows, eventRows, runRows] = await Promise.all([
    incidents.find({ where: { ...(subject ? { subjectName: subject } : {}), ...scope }, order: { openedAt: "DESC", id: "DESC" }, take }),
    events.find({ where: { ...(subject ? { subject } : {}), ...scope }, order: { at: "DESC", id: "DESC" }, take }),
    withRuns ? runs.find({ where: { task: subject, ...scope }, order: { startedAt: "DESC", id: "DESC" }, take }) : Promise.resolve([]),
  ]);
  const entries: HistoryEntry[] = [
    ...incidentRows.map(
      (i): HistoryEntry => ({
        kind: "incident",
        at: i.openedAt.toISOString(),
        id: i.id,
        subjectKind: i.subjectKind,
        subjectName: i.subjectName,
        condition: i.condition,
        resolvedAt: i.resolvedAt?.toISOString() ?? null,
        acknowledged: i.acknowledgedAt !== null,
        muted: i.muted,
        ...hostOf(i),
      }),
    ),
    ...eventRows.map(
      (e): HistoryEntry => ({ kind: "event", at: e.at.toISOString(), id: e.id, eventKind: e.kind, actor: e.actor, subject: e.subject, message: e.message, ...hostOf(e) }),
    ),
    ...runRows.map(
      (r): HistoryEntry => ({
        kind: "run",
        at: r.startedAt.toISOString(),
        id: r.id,
        task: r.task,
        status: r.status,
        exitCode: r.exitCode,
        durationMs: r.durationMs,
        ...hostOf(r),
      }),
    ),
  ];
  entries.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || a.kind.localeCompare(b.kind) || String(b.id).localeCompare(String(a.id), undefined, { numeric: true }));
  return { subject, ...(options.host === undefined ? {} : { host: options.host }), entries: entries.slice(page * perPage, take), page, pages, total };
}
