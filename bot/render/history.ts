import { formatDuration } from "../../config/durations.js";
import type { HistoryEntry, HistoryPage } from "../../queries/history-timeline.js";
import { historyButton } from "../callback-data.js";
import { formatClock, formatDay } from "./figures.js";
import { escapeHtml, html, type RenderedMessage } from "./html.js";
import { fitBlocks, truncatePlain } from "./paginate.js";

/** Entries per page of /history: 15 lines of at most ~250 characters fit one message. */
export const HISTORY_PER_PAGE = 15;
const MESSAGE_WIDTH = 160;

/**
 * The /history message: one page of the timeline, newest first, grouped under day headings,
 * with buttons to page to newer and older entries and to refresh.
 */
export function renderHistory(history: HistoryPage, options: { knownSubject: boolean }): RenderedMessage {
  const where = history.host === undefined ? "" : history.host === "*" ? " on every host" : html` on ${history.host}`;
  const title = (history.subject ? html`<b>History of ${history.subject}</b>` : "<b>History</b>") + where;
  const pageNote = history.pages > 1 ? ` · page ${history.page + 1} of ${history.pages}` : "";
  const blocks: string[] = [`${title} (newest first)${pageNote}`];
  if (history.entries.length === 0) {
    blocks.push(
      history.subject
        ? html`Nothing recorded about ${history.subject} yet.` + (options.knownSubject ? "" : " It is not a service or task of gaia.yml.")
        : "Nothing recorded yet.",
    );
  }
  let day = "";
  for (const entry of history.entries) {
    const at = new Date(entry.at);
    if (formatDay(at) !== day) {
      day = formatDay(at);
      blocks.push("", `<b>${day}</b>`);
    }
    blocks.push(`${formatClock(at)} ${entry.host !== undefined ? html`[${entry.host || "-"}] ` : ""}${entryLine(entry)}`);
  }
  const text = fitBlocks(blocks, { note: (n) => `<i>… ${n} more line(s) cut to fit Telegram's limit.</i>` });

  const subject = history.subject;
  const buttons = [];
  if (history.page > 0) buttons.push({ text: "‹ Newer", callback_data: historyButton(history.page - 1, subject, history.host) });
  buttons.push({ text: "🔄 Refresh", callback_data: historyButton(history.page, subject, history.host) });
  if (history.page < history.pages - 1) buttons.push({ text: "Older ›", callback_data: historyButton(history.page + 1, subject, history.host) });
  return { text, reply_markup: { inline_keyboard: [buttons] } };
}

function entryLine(entry: HistoryEntry): string {
  switch (entry.kind) {
    case "incident": {
      const icon = entry.resolvedAt ? "🟢" : entry.condition === "down" || entry.condition === "failed" ? "🔴" : "🟠";
      const lasted = entry.resolvedAt
        ? `, lasted ${formatDuration(Date.parse(entry.resolvedAt) - Date.parse(entry.at))}`
        : ", still open";
      const flags = [entry.acknowledged ? "acknowledged" : "", entry.muted ? "muted" : ""].filter(Boolean).join(", ");
      return `${icon} ${html`<b>${entry.subjectName}</b> ${entry.condition}${lasted}`}${flags ? escapeHtml(` (${flags})`) : ""}`;
    }
    case "run": {
      const took = entry.durationMs !== null ? ` in ${formatDuration(entry.durationMs)}` : "";
      const result =
        entry.status === "succeeded"
          ? `✅ run succeeded${took}`
          : entry.status === "running"
            ? "⏳ run started"
            : entry.status === "timed-out"
              ? `⏱ run timed out${took}`
              : entry.status === "lost"
                ? `❔ run lost after${took.replace(/^ in/, "")} (gaia run was killed before it could report)`
                : `❌ run failed${entry.exitCode !== null ? ` (exit ${entry.exitCode})` : ""}${took}`;
      return escapeHtml(result);
    }
    case "event": {
      const by = entry.actor && entry.actor !== "system" ? ` (${entry.actor})` : "";
      return html`<code>${entry.eventKind}</code> ${truncatePlain(entry.message.replace(/\s+/g, " "), MESSAGE_WIDTH)}${by}`;
    }
  }
}

/** The answer to /history with an argument that cannot be a service or task name. */
export function renderHistoryUsage(argument: string): RenderedMessage {
  return { text: html`"${truncatePlain(argument, 64)}" is not a service or task name. Send /history, or /history SERVICE (add @all for every host sharing the database).` };
}
