/**
 * Alerts and notices as Telegram HTML: 🔴 down or failed, 🟢 recovered, 🟠 at or above a
 * threshold (or missed), with the figure, its threshold and its unit. Host CPU is % of all
 * cores, a process's or service's CPU is % of one core (as top shows it), and the text says so.
 * Every dynamic value is escaped; no message exceeds Telegram's 4096 characters.
 */
import { renderDigest } from "./digest.js";
import { renderMaintenanceNotice } from "./maintenance-notice.js";
import type { AlertFact, AlertPayload, NoticePayload } from "../../alerts/alert.js";
import type { DeliveryItem, DeliveryMessage } from "../../alerts/delivery-plan.js";
import { formatDuration } from "../../config/durations.js";
import { incidentButton } from "../callback-data.js";
import { alertDetailLines } from "./alert-facts.js";
import { formatBytes } from "./figures.js";
import { renderRotationNotice } from "./rotation.js";
import { renderStartNotice } from "./start-notice.js";
import { renderStorageNotice } from "./storage-notice.js";
import { escapeHtml, html, TELEGRAM_TEXT_LIMIT, type RenderedMessage } from "./html.js";

type Keyboard = NonNullable<RenderedMessage["reply_markup"]>["inline_keyboard"];

/**
 * Button rows at most in a grouped message (one row per alert that offers actions): delivery
 * splits a group before it needs more (see `deliveryFits`), so every alert keeps its buttons.
 */
const MAX_BUTTON_ROWS = 10;
/** Telegram's limit on the buttons of one message. */
const MAX_BUTTONS = 100;
/** Characters of a monospaced block (a task's output tail) in a single alert / in a group. */
const PRE_CHARS_SINGLE = 3000;
const PRE_CHARS_GROUPED = 600;

/** The message for one planned delivery: a single alert, a notice, or a group of them. */
export function renderDelivery(message: DeliveryMessage, now: Date = new Date()): RenderedMessage {
  return renderDeliveryCounted(message, now).rendered;
}

/** Whether a planned message fits one Telegram message whole: every item in the text, and a usable keyboard. */
export function deliveryFits(message: DeliveryMessage, now: Date = new Date()): boolean {
  const { itemsShown } = renderDeliveryCounted(message, now);
  const keyboard = message.items.length === 1 ? [] : allButtonRows(message.items);
  return itemsShown === message.items.length && keyboard.length <= MAX_BUTTON_ROWS && keyboard.flat().length <= MAX_BUTTONS;
}

/** The message and how many of its items the text shows (all, unless they did not fit). */
export function renderDeliveryCounted(message: DeliveryMessage, now: Date = new Date()): { rendered: RenderedMessage; itemsShown: number } {
  const single = message.items.length === 1 ? message.items[0] : undefined;
  if (single && !message.delayedSince && !message.possibleRepeat) {
    const rendered = single.kind === "notice" ? renderNotice(single.payload) : renderAlert(single.payload, { openedToo: single.openedToo, now });
    return { rendered, itemsShown: 1 };
  }
  const blocks: string[] = [];
  if (message.possibleRepeat) {
    blocks.push("↩️ <b>Possibly a repeat</b>: gaia was stopped or lost the connection while sending this, before Telegram confirmed it.");
  }
  if (message.delayedSince) {
    const alerts = message.items.filter((i) => i.kind === "alert").length;
    const what = alerts === message.items.length ? plural(alerts, "alert") : plural(message.items.length, "message");
    blocks.push(
      `📬 <b>${escapeHtml(what)} held back</b>: Telegram could not be reached from ${escapeHtml(clock(message.delayedSince, now))} to ${escapeHtml(clock(now.toISOString(), now))}.`,
    );
  }
  const header = blocks.length;
  const named = new Set(message.items.flatMap((item) => (item.kind === "alert" ? [item.payload.subject] : [])));
  for (const item of message.items) blocks.push(renderItem(single ? item : withoutNamedAlsoDown(item, named), single ? PRE_CHARS_SINGLE : PRE_CHARS_GROUPED, now));
  const fitted = fitBlocks(blocks, message.items.length);
  // Buttons only for the alerts that made it into the text.
  const itemsShown = Math.min(message.items.length, Math.max(0, fitted.shown - header));
  const shownItems = message.items.slice(0, itemsShown);
  const keyboard =
    single?.kind === "alert"
      ? alertKeyboard(single.payload, false)
      : single?.kind === "notice" && single.payload.rotation
        ? (renderRotationNotice(single.payload.rotation).reply_markup?.inline_keyboard ?? [])
        : groupKeyboard(shownItems);
  return { rendered: withKeyboard(fitted.text, keyboard), itemsShown };
}

/** In a group, "Also down" leaves out the services the same message names anyway. */
function withoutNamedAlsoDown(item: DeliveryItem, named: ReadonlySet<string>): DeliveryItem {
  if (item.kind !== "alert" || !item.payload.facts?.some((fact) => fact.kind === "alsoDown")) return item;
  const facts = item.payload.facts.flatMap((fact): AlertFact[] => {
    if (fact.kind !== "alsoDown") return [fact];
    const services = fact.services.filter((service) => !named.has(service));
    return services.length > 0 ? [{ kind: "alsoDown", services }] : [];
  });
  return { ...item, payload: { ...item.payload, facts } };
}

/** One alert as its own message, with its buttons (Ack, Mute 1h, Restart). */
export function renderAlert(payload: AlertPayload, options: { openedToo?: boolean; now?: Date } = {}): RenderedMessage {
  const { text } = fitBlocks([renderAlertBody(payload, options.openedToo === true, PRE_CHARS_SINGLE, options.now ?? new Date())], 1);
  return withKeyboard(text, alertKeyboard(payload, false));
}

/** A notice (monitor started, monitor was down, a restart's result...). */
export function renderNotice(payload: NoticePayload): RenderedMessage {
  if (payload.rotation) return renderRotationNotice(payload.rotation);
  return { text: fitBlocks([renderNoticeBody(payload)], 1).text };
}

// ---------------------------------------------------------------------------------------------

function renderItem(item: DeliveryItem, preChars: number, now: Date): string {
  return item.kind === "notice" ? renderNoticeBody(item.payload) : renderAlertBody(item.payload, item.openedToo === true, preChars, now);
}

function renderNoticeBody(payload: NoticePayload): string {
  if (payload.rotation) return renderRotationNotice(payload.rotation).text;
  if (payload.storage) return renderStorageNotice(payload.storage);
  if (payload.start) return renderStartNotice(payload.start);
  if (payload.maintenance) return renderMaintenanceNotice(payload.maintenance);
  if (payload.digest) return renderDigest(payload.digest);
  return [`ℹ️ <b>${escapeHtml(payload.title)}</b>`, ...(payload.lines ?? []).map((line) => escapeHtml(line))].join("\n");
}

function renderAlertBody(payload: AlertPayload, openedToo: boolean, preChars: number, now: Date): string {
  const lines = [headline(payload, openedToo, now), ...alertDetailLines(payload).map((line) => escapeHtml(line))];
  if (payload.pre) lines.push(`<pre>${escapeTail(payload.pre, preChars)}</pre>`);
  return lines.join("\n");
}

/** The first line: emoji, what happened, the figure and threshold with their unit. */
function headline(p: AlertPayload, openedToo: boolean, now: Date): string {
  const clock = (iso: string) => clockOf(iso, now);
  const who = p.subjectKind === "host" ? "host" : p.subjectKind === "task" ? `task ${p.subject}` : p.subject;
  const lasted = p.durationMs !== undefined ? formatDuration(p.durationMs) : undefined;
  const since = html` (since ${clock(p.openedAt)})`;
  const span = html` (${clock(p.openedAt)}–${clock(p.at)})`;

  if (p.condition === "down") {
    if (p.change === "opened") return html`🔴 <b>${who} is down</b>` + html` since ${clock(p.at)}`;
    if (p.change === "reminder") return html`🔴 <b>${who} is still down</b> after ${lasted ?? "a while"}` + since;
    return openedToo
      ? html`🟢 <b>${who} was down for ${lasted ?? "a moment"}</b>` + span + html`, and is up again`
      : html`🟢 <b>${who} is back up</b> after ${lasted ?? "a moment"} down` + span;
  }
  if (p.condition === "flapping") {
    if (p.change === "opened") return html`🟠 <b>${who} is flapping</b>`;
    if (p.change === "reminder") return html`🟠 <b>${who} is still flapping</b> after ${lasted ?? "a while"}`;
    return html`🟢 <b>${who} stopped flapping</b>` + (lasted ? html` after ${lasted}` : "");
  }
  if (p.condition === "mount") {
    const path = p.mount ?? "a disk";
    if (p.change === "opened") return html`🔴 <b>${path} is not mounted</b>` + html` since ${clock(p.at)}`;
    if (p.change === "reminder") return html`🔴 <b>${path} is still not mounted</b> after ${lasted ?? "a while"}` + since;
    return html`🟢 <b>${path} is mounted again</b>` + (lasted ? html` after ${lasted}` : "") + span;
  }
  if (p.condition === "certificate") {
    const days = p.figures?.value;
    const left = days === undefined ? "soon" : days <= 0 ? "has expired" : `expires in ${formatDuration(days * 86_400_000)}`;
    if (p.change === "opened") return html`🟠 <b>${who} TLS certificate ${left}</b>`;
    if (p.change === "reminder") return html`🟠 <b>${who} TLS certificate still not renewed</b>: ${left}`;
    return html`🟢 <b>${who} TLS certificate renewed</b>` + (days !== undefined ? html`: valid for ${formatDuration(days * 86_400_000)}` : "");
  }
  if (p.condition === "cpu" || p.condition === "memory" || p.condition === "disk") {
    const resource = p.condition === "cpu" ? "CPU" : p.condition === "disk" && p.mount !== undefined ? `disk ${p.mount}` : p.condition;
    const figure = describeFigure(p);
    if (p.change === "opened") return html`🟠 <b>${who} ${resource} at ${figure.value}</b>` + figure.threshold;
    if (p.change === "reminder") return html`🟠 <b>${who} ${resource} still high</b> after ${lasted ?? "a while"}: ${figure.value}` + figure.threshold;
    return openedToo
      ? html`🟢 <b>${who} ${resource} was high for ${lasted ?? "a moment"}</b>` + span + html`, now ${figure.value}` + figure.threshold
      : html`🟢 <b>${who} ${resource} back to normal</b>: ${figure.value}` + figure.threshold + (lasted ? html`, after ${lasted}` : "");
  }
  // Tasks (gaia run): failed, timeout, missed.
  if (p.subjectKind === "task") {
    const problem = p.condition === "failed" ? "failed" : p.condition === "timeout" ? "timed out" : p.condition === "missed" ? "missed its run" : p.condition;
    const emoji = p.condition === "missed" ? "🟠" : "🔴";
    if (p.change === "opened") return html`${emoji} <b>${who} ${problem}</b>`;
    if (p.change === "reminder") return html`${emoji} <b>${who} still ${p.condition === "missed" ? "has not run" : "failing"}</b> after ${lasted ?? "a while"}` + since;
    return html`🟢 <b>${who} ${p.condition === "missed" ? "ran again" : "succeeded again"}</b>` + (lasted ? html` after ${lasted}` : "");
  }
  const emoji = p.change === "resolved" ? "🟢" : "🟠";
  return html`${emoji} <b>${who}: ${p.condition} ${p.change}</b>`;
}

/** "95% of all cores" + " (threshold 90%)", with the unit the figure is in. */
function describeFigure(p: AlertPayload): { value: string; threshold: string } {
  const { value, threshold, unit } = p.figures ?? {};
  if (value === undefined) return { value: "?", threshold: "" };
  const of =
    p.condition === "cpu"
      ? unit === "%core" ? " of one core" : " of all cores"
      : p.condition === "memory"
        ? " of total memory"
        : p.condition === "disk" ? " used" : "";
  if (unit === "bytes") {
    return { value: formatBytes(value), threshold: threshold !== undefined ? html` (limit ${formatBytes(threshold)})` : "" };
  }
  return { value: `${Math.round(value)}%${of}`, threshold: threshold !== undefined ? html` (threshold ${Math.round(threshold)}%)` : "" };
}

function alertKeyboard(payload: AlertPayload, named: boolean): Keyboard {
  if (payload.change === "resolved" || !payload.actions?.length || !(payload.incidentId > 0)) return [];
  const suffix = named ? ` ${payload.subjectKind === "host" ? "host" : payload.subject}` : "";
  const row = payload.actions.map((action) => ({
    text: action === "ack" ? `Ack${suffix}` : action === "mute" ? `Mute${suffix} 1h` : `Restart${suffix}`,
    callback_data: incidentButton(action, payload.incidentId),
  }));
  return [row];
}

function groupKeyboard(items: readonly DeliveryItem[]): Keyboard {
  return allButtonRows(items).slice(0, MAX_BUTTON_ROWS);
}

/** One row of buttons per alert that offers actions, labelled with its subject. */
function allButtonRows(items: readonly DeliveryItem[]): Keyboard {
  const rows: Keyboard = [];
  for (const item of items) {
    if (item.kind !== "alert" || item.openedToo) continue;
    rows.push(...alertKeyboard(item.payload, true));
  }
  return rows;
}

function withKeyboard(text: string, keyboard: Keyboard): RenderedMessage {
  return keyboard.length > 0 ? { text, reply_markup: { inline_keyboard: keyboard } } : { text };
}

/**
 * Joins whole blocks (each valid HTML) while they fit in Telegram's limit, and says how many did
 * not; a first block that alone is too long is cut at a line break outside any tag.
 */
function fitBlocks(blocks: string[], items: number): { text: string; shown: number } {
  const separator = "\n\n";
  let text = "";
  let shown = 0;
  for (const block of blocks) {
    const next = text ? text + separator + block : block;
    const leftAfter = blocks.length - shown - 1;
    const noteLength = leftAfter > 0 ? 80 : 0;
    if (next.length + noteLength > TELEGRAM_TEXT_LIMIT) break;
    text = next;
    shown++;
  }
  if (shown === 0) return { text: cutBlock(blocks[0] ?? "", TELEGRAM_TEXT_LIMIT), shown: 1 };
  const left = blocks.length - shown;
  if (left > 0) {
    const hidden = Math.min(left, items);
    text += separator + html`<i>…and ${plural(hidden, "more item")} that did not fit; see /history.</i>`;
  }
  return { text, shown };
}

/** Cuts one block at a line boundary, keeping whole lines only (lines hold balanced tags). */
function cutBlock(block: string, limit: number): string {
  const note = "\n<i>…cut to fit Telegram's limit.</i>";
  const lines = block.split("\n");
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (line.startsWith("<pre>")) break; // a cut <pre> would leave its tag open
    if (length + line.length + 1 + note.length > limit) break;
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join("\n") + note;
}

/** Escapes the END of `text` (an output tail matters at its end) so it fits in `max` characters. */
export function escapeTail(text: string, max: number): string {
  const escaped = escapeHtml(text);
  if (escaped.length <= max) return escaped;
  let cut = escaped.slice(escaped.length - max + 2);
  // Never start inside an entity such as &amp;.
  const semicolon = cut.indexOf(";");
  const ampersand = cut.indexOf("&");
  if (semicolon !== -1 && (ampersand === -1 || semicolon < ampersand)) cut = cut.slice(semicolon + 1);
  return `…\n${cut}`;
}

function clock(iso: string, now: Date): string {
  return clockOf(iso, now);
}

/** Local time of day of an ISO time, with the date when it is not `now`'s day: "14:05" or "2025-03-01 14:05". */
function clockOf(iso: string, now: Date): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const today = now;
  const sameDay = date.getFullYear() === today.getFullYear() && date.getMonth() === today.getMonth() && date.getDate() === today.getDate();
  return sameDay ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
