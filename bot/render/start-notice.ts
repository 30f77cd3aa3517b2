import type { StartNotice } from "../../alerts/alert.js";
import { formatDuration } from "../../config/durations.js";
import { formatDateTime } from "./figures.js";
import { escapeHtml } from "./html.js";

/**
 * The "Gaia started" notice: a reboot of the host since the previous run, the monitor's own
 * downtime (nobody watched the services meanwhile), a first start, and what is watched.
 */
export function renderStartNotice(notice: StartNotice): string {
  const lines: string[] = [];
  if (notice.rebootedAt) lines.push(`The host rebooted at ${formatDateTime(new Date(notice.rebootedAt))}.`);
  if (notice.monitorDown) {
    const from = new Date(notice.monitorDown.from);
    const to = new Date(notice.monitorDown.to);
    lines.push(`The monitor itself was down from ${formatDateTime(from)} to ${formatDateTime(to)} (${formatDuration(to.getTime() - from.getTime())}): nothing was watched meanwhile.`);
  }
  if (notice.firstStart) lines.push("First start with this gaia.db.");
  const { services } = notice;
  lines.push(
    services.length === 0
      ? "Watching the host; no services are configured in gaia.yml."
      : `Watching the host and ${services.length} service${services.length === 1 ? "" : "s"}: ${services.join(", ")}.`,
  );
  return ["ℹ️ <b>Gaia started</b>", ...lines.map((line) => escapeHtml(line))].join("\n");
}
