import type { MaintenanceNotice } from "../../alerts/alert.js";
import { formatClock } from "./figures.js";
import { html } from "./html.js";

/** How many still-open incidents the notice names. */
const MAX_NAMED = 10;

/**
 * The end of a maintenance window whose services still have open incidents: what was silenced,
 * and each incident still open (its alerts were held back by the window, so this is news).
 */
export function renderMaintenanceNotice(notice: MaintenanceNotice): string {
  const lines = [html`🔧 <b>Maintenance ended</b> (${clock(notice.startedAt)}–${clock(notice.endedAt)}, ${notice.services.join(", ")}), still open:`];
  for (const incident of notice.stillOpen.slice(0, MAX_NAMED)) {
    lines.push(html`🔴 <b>${incident.subject}</b> ${incident.condition} since ${clock(incident.openedAt)}`);
  }
  if (notice.stillOpen.length > MAX_NAMED) lines.push(html`… and ${notice.stillOpen.length - MAX_NAMED} more (/status)`);
  return lines.join("\n");
}

function clock(iso: string): string {
  return formatClock(new Date(iso));
}
