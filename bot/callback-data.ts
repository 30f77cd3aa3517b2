/**
 * The callback data of every button gaia shows: short, versionless strings well under Telegram's
 * 64 bytes, written here and read back here with strict patterns. Callback data comes from the
 * client and is not trusted: a press is authorized by who pressed (bot/auth.ts), never by this
 * data, and anything that is not exactly what a writer below produces reads back as undefined.
 */
import { APPROVAL_ID_PATTERN, type Decision } from "../approvals/approval-requests.js";
import type { TopProcessesOrder } from "../monitor/snapshot.js";

const MAX_PAGE = 9999;
const SUBJECT = /^[a-z0-9_-]{1,32}$/;

// --- /status, /top, /history: read-only views ------------------------------------------------

/** `st:3`: /status, page 3 of the services and tasks (Refresh repeats the current page). */
export const STATUS_DATA = /^st:(\d{1,4})$/;
/** `top:cpu` or `top:mem`: /top sorted by CPU or memory (Refresh repeats the current order). */
export const TOP_DATA = /^top:(cpu|mem)$/;
/** `hi:2:agent` or `hi:2:`: /history of a subject (or of everything), page 2; `hi:2:agent:pi` on host pi, `:*` on every host. */
export const HISTORY_DATA = /^hi:(\d{1,4}):([a-z0-9_-]{0,32})(?::([A-Za-z0-9._*-]{1,23}))?$/;

/** The data of a /status button for a page. */
export function statusButton(page: number): string {
  return `st:${clampPage(page)}`;
}

/** The data of a /top button for an order. */
export function topButton(order: TopProcessesOrder): string {
  return `top:${order === "memory" ? "mem" : "cpu"}`;
}

/** The data of a /history button for a page, of one subject or all (null). */
export function historyButton(page: number, subject: string | null, host?: string): string {
  if (subject !== null && !SUBJECT.test(subject)) throw new Error(`not a service or task name: ${subject}`);
  if (host !== undefined && !/^[A-Za-z0-9._*-]{1,23}$/.test(host)) throw new Error(`not a host selector: ${host}`);
  return `hi:${clampPage(page)}:${subject ?? ""}${host === undefined ? "" : `:${host}`}`;
}

/** The page of a /status button, or undefined for data that is not one. */
export function parseStatusButton(data: string): number | undefined {
  const match = STATUS_DATA.exec(data);
  return match ? Number(match[1]) : undefined;
}

/** The order of a /top button, or undefined for data that is not one. */
export function parseTopButton(data: string): TopProcessesOrder | undefined {
  const match = TOP_DATA.exec(data);
  return match ? (match[1] === "mem" ? "memory" : "cpu") : undefined;
}

/** The page and subject of a /history button, or undefined for data that is not one. */
export function parseHistoryButton(data: string): { page: number; subject: string | null; host?: string } | undefined {
  const match = HISTORY_DATA.exec(data);
  if (!match) return undefined;
  return { page: Number(match[1]), subject: match[2] === "" ? null : match[2], ...(match[3] ? { host: match[3] } : {}) };
}

function clampPage(page: number): number {
  return Math.min(MAX_PAGE, Math.max(0, Math.floor(page)));
}

// --- alert buttons: Ack, Mute 1h, Restart (and its Confirm / Cancel) ---------------------------

/** What an alert's button does. */
export type IncidentAction = "ack" | "mute" | "restart" | "confirm" | "cancel";

/** `inc:ack:42`: an alert button, its action and the incident id. Anything else is not ours. */
export const INCIDENT_DATA = /^inc:(ack|mute|restart|confirm|cancel):(\d{1,12})$/;

/** The data of an incident's button. */
export function incidentButton(action: IncidentAction, incidentId: number): string {
  return `inc:${action}:${incidentId}`;
}

/** The action and incident id of an alert button, or undefined for data that is not one. */
export function parseIncidentButton(data: string): { action: IncidentAction; incidentId: number } | undefined {
  const match = INCIDENT_DATA.exec(data);
  return match ? { action: match[1] as IncidentAction, incidentId: Number(match[2]) } : undefined;
}

// --- approval requests: Approve / Deny ---------------------------------------------------------

const APPROVAL_CODES: Record<Decision, string> = { approved: "y", denied: "n" };

/**
 * Matches every approval button, valid or not, so that a malformed one is answered (and audited)
 * by the approvals feature rather than as an inactive button.
 */
export const APPROVAL_DATA = /^apr:/;

/** The data of an Approve or Deny button: `apr:y:<id>` or `apr:n:<id>` (22 bytes). */
export function approvalButton(decision: Decision, id: string): string {
  return `apr:${APPROVAL_CODES[decision]}:${id}`;
}

/** The decision and request id of an approval button, or undefined for anything `approvalButton` does not write. */
export function parseApprovalButton(data: string): { decision: Decision; id: string } | undefined {
  const match = /^apr:([yn]):([^:]+)$/.exec(data);
  if (!match || !APPROVAL_ID_PATTERN.test(match[2])) return undefined;
  return { decision: match[1] === "y" ? "approved" : "denied", id: match[2] };
}

// --- token rotation notices: Start rotation / Snooze 1 day, Resume / Roll back -------------------
// These buttons ride on outbox messages (sent through bot.api, not from a handler), which a
// @grammyjs/menu menu cannot be: so they are plain callback data, handled in bot/features/rotate.ts.

export type RotationNoticeAction = "start" | "snooze" | "resume" | "rollback";

/** Matches every rotation notice button, valid or not. */
export const ROTATION_NOTICE_DATA = /^rot:/;

/** `rot:start`, `rot:snooze`, `rot:resume:<rotation id>`, `rot:rollback:<rotation id>`. */
export function rotationNoticeButton(action: RotationNoticeAction, rotationId?: number): string {
  return rotationId === undefined ? `rot:${action}` : `rot:${action}:${rotationId}`;
}

/** The action (and rotation id) of a rotation notice button, or undefined for anything else. */
export function parseRotationNoticeButton(data: string): { action: RotationNoticeAction; rotationId?: number } | undefined {
  const match = /^rot:(?:(start|snooze)|(resume|rollback):(\d{1,9}))$/.exec(data);
  if (!match) return undefined;
  return match[1] ? { action: match[1] as RotationNoticeAction } : { action: match[2] as RotationNoticeAction, rotationId: Number(match[3]) };
}
