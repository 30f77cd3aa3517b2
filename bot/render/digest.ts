import type { DigestNotice } from "../../alerts/alert.js";
import { formatDuration } from "../../config/durations.js";
import { formatClock, formatPercent } from "./figures.js";
import { escapeHtml, html } from "./html.js";

/** Lines of incidents and failed runs named at most; the rest are counted. */
const MAX_LINES = 15;

/** The daily digest: one message with the last day's incidents, downtime, failed runs, approvals and the host's peaks. */
export function renderDigest(digest: DigestNotice): string {
  const lines = [html`📋 <b>Daily digest</b> (the 24 hours to ${formatClock(new Date(digest.to))})`];
  if (digest.incidents.length === 0) lines.push("No incidents.");
  else {
    lines.push("", html`<b>Incidents</b> (${digest.incidents.length})`);
    for (const i of digest.incidents.slice(0, MAX_LINES)) {
      const who = i.subjectKind === "task" ? `task ${i.subject}` : i.subject;
      const end = i.resolvedAt ? `resolved after ${formatDuration(Date.parse(i.resolvedAt) - Date.parse(i.openedAt))}` : "still open";
      lines.push(html`• ${who} ${i.condition} at ${formatClock(new Date(i.openedAt))}, ${end}`);
    }
    if (digest.incidents.length > MAX_LINES) lines.push(html`… and ${digest.incidents.length - MAX_LINES} more (/history)`);
  }
  if (digest.downtime.length > 0) {
    lines.push("", "<b>Downtime</b>");
    for (const d of digest.downtime) lines.push(html`• ${d.service}: ${formatDuration(d.ms)}`);
  }
  lines.push("", html`<b>Task runs</b>: ${digest.runs}, ${digest.failedRuns.length} failed`);
  for (const r of digest.failedRuns.slice(0, MAX_LINES)) {
    lines.push(html`• ${r.task} at ${formatClock(new Date(r.startedAt))}: ${r.status}${r.exitCode !== null ? ` (exit code ${r.exitCode})` : ""}`);
  }
  const { approved, denied, expired } = digest.approvals;
  if (approved + denied + expired > 0) lines.push(html`<b>Approvals</b>: ${approved} approved, ${denied} denied, ${expired} expired`);
  const peak = (label: string, value: number | null) => (value === null ? [] : [`${label} ${formatPercent(value)}`]);
  const peaks = [...peak("CPU", digest.hostPeaks.cpu), ...peak("memory", digest.hostPeaks.memory), ...peak("disk", digest.hostPeaks.disk)];
  if (peaks.length > 0) lines.push(`<b>Host peaks</b>: ${escapeHtml(peaks.join(", "))}`);
  return lines.join("\n");
}
