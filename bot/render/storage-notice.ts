import type { StorageNotice } from "../../alerts/alert.js";
import { formatDuration } from "../../config/durations.js";
import { escapeHtml } from "./html.js";

/**
 * The chat notice when gaia.db can no longer be written for lack of space, and when it can again
 * (each said once).
 */
export function renderStorageNotice(notice: StorageNotice): string {
  const { title, lines } = notice.event === "full" ? diskFull(notice) : diskRecovered(notice);
  return [`ℹ️ <b>${escapeHtml(title)}</b>`, ...lines.map((line) => escapeHtml(line))].join("\n");
}

function diskFull(facts: { heldMax: number }): { title: string; lines: string[] } {
  return {
    title: "💾 Disk full: gaia.db cannot be written",
    lines: [
      `Gaia keeps watching: alerts are kept in memory (up to ${facts.heldMax}) and still sent here; their history is written once there is room again.`,
      "Free some space on the disk of gaia's home folder (df -h shows it). Log lines are dropped meanwhile.",
    ],
  };
}

function diskRecovered(facts: { fullSince: string; at: string; dropped: number }): { title: string; lines: string[] } {
  return {
    title: "💾 Disk has room again: gaia.db is written again",
    lines: [
      `It could not be written for ${formatDuration(Date.parse(facts.at) - Date.parse(facts.fullSince))}; what the monitor saw meanwhile is being recorded.`,
      ...(facts.dropped > 0 ? [`${facts.dropped} alert${facts.dropped === 1 ? " was" : "s were"} not kept: too many piled up while the disk was full.`] : []),
    ],
  };
}
