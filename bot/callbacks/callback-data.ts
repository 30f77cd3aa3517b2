/**
 * The callback data of the chat's read-only buttons: short, versionless strings well under
 * Telegram's 64 bytes, and parsed back with strict patterns. A press is authorized by who pressed
 * (bot/auth.ts), never by this data; the data only says which view to show.
 */
import type { TopProcessesOrder } from "../../monitor/snapshot.js";

const MAX_PAGE = 9999;
const SUBJECT = /^[a-z0-9_-]{1,32}$/;

/** `st:3`: /status, page 3 of the services and tasks (Refresh repeats the current page). */
export const STATUS_DATA = /^st:(\d{1,4})$/;
/** `top:cpu` or `top:mem`: /top sorted by CPU or memory (Refresh repeats the current order). */
export const TOP_DATA = /^top:(cpu|mem)$/;
/** `hi:2:agent` or `hi:2:`: /history of a subject (or of everything), page 2. */
export const HISTORY_DATA = /^hi:(\d{1,4}):([a-z0-9_-]{0,32})$/;

/** The data of a /status button for a page. */
export function statusButton(page: number): string {
  return `st:${clampPage(page)}`;
}

/** The data of a /top button for an order. */
export function topButton(order: TopProcessesOrder): string {
  return `top:${order === "memory" ? "mem" : "cpu"}`;
}

/** The data of a /history button for a page, of one subject or all (null). */
export function historyButton(page: number, subject: string | null): string {
  if (subject !== null && !SUBJECT.test(subject)) throw new Error(`not a service or task name: ${subject}`);
  return `hi:${clampPage(page)}:${subject ?? ""}`;
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
export function parseHistoryButton(data: string): { page: number; subject: string | null } | undefined {
  const match = HISTORY_DATA.exec(data);
  return match ? { page: Number(match[1]), subject: match[2] === "" ? null : match[2] } : undefined;
}

function clampPage(page: number): number {
  return Math.min(MAX_PAGE, Math.max(0, Math.floor(page)));
}
