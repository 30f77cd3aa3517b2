/**
 * Maintenance windows (`maintenance: [{ cron, for, services }]`): recurring silences. Pure: which
 * windows are open at a moment, from the settings and that moment alone, so the rules, /status and
 * the window's start and end notices all agree. A window opens at each time its 5-field cron
 * expression names (the host's local time, like the other schedules) and lasts `for`.
 */
import type { MaintenanceWindow } from "../config/types.js";

/** One open window: which services it silences, since and until when. */
export interface OpenMaintenance {
  /** Its position in gaia.yml's list, and its start: the same window has the same key. */
  key: string;
  services: readonly string[];
  startedAt: Date;
  until: Date;
}

const MINUTE = 60_000;

/** The windows open at `now` (start <= now < start + for). */
export function openMaintenance(windows: readonly MaintenanceWindow[], now: Date): OpenMaintenance[] {
  const open: OpenMaintenance[] = [];
  windows.forEach((window, index) => {
    const matcher = cronMatcher(window.cron);
    if (!matcher) return;
    const latestMinute = Math.floor(now.getTime() / MINUTE) * MINUTE;
    // Back minute by minute over the window's length: the latest start still open wins.
    for (let t = latestMinute; t > now.getTime() - window.forMs; t -= MINUTE) {
      if (!matcher(new Date(t))) continue;
      open.push({ key: `${index}@${new Date(t).toISOString()}`, services: window.services, startedAt: new Date(t), until: new Date(t + window.forMs) });
      break;
    }
  });
  return open;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/**
 * A matcher for a 5-field cron expression (minute hour day-of-month month day-of-week; `*`,
 * lists, ranges, steps, month and day names; 7 is Sunday too); undefined when it is not one. When
 * both day fields are restricted, a day matching either counts, as in cron.
 */
export function cronMatcher(expression: string): ((at: Date) => boolean) | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const minute = parseField(fields[0], 0, 59);
  const hour = parseField(fields[1], 0, 23);
  const dom = parseField(fields[2], 1, 31);
  const month = parseField(fields[3], 1, 12, MONTHS, 1);
  const dow = parseField(fields[4], 0, 7, DAYS, 0);
  if (!minute || !hour || !dom || !month || !dow) return undefined;
  if (dow.has(7)) dow.add(0);
  const domAny = fields[2] === "*";
  const dowAny = fields[4] === "*";
  return (at) => {
    if (!minute.has(at.getMinutes()) || !hour.has(at.getHours()) || !month.has(at.getMonth() + 1)) return false;
    const d = dom.has(at.getDate());
    const w = dow.has(at.getDay());
    if (domAny && dowAny) return true;
    if (domAny) return w;
    if (dowAny) return d;
    return d || w;
  };
}

function parseField(text: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> | undefined {
  const values = new Set<number>();
  const value = (word: string): number | undefined => {
    const named = names.indexOf(word.toLowerCase());
    if (named >= 0) return named + nameBase;
    return /^\d+$/.test(word) ? Number(word) : undefined;
  };
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) return undefined;
    let from: number | undefined;
    let to: number | undefined;
    if (range === "*") [from, to] = [min, max];
    else if (range.includes("-")) [from, to] = range.split("-").map(value);
    else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    if (from === undefined || to === undefined || from < min || to > max || from > to) return undefined;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}
