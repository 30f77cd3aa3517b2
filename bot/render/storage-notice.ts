import type { NoticePayload } from "../../alerts/alert.js";
import { formatDuration } from "../../config/durations.js";

/** The chat notice when gaia.db can no longer be written for lack of space (said once). */
export function diskFullNotice(facts: { heldMax: number }): NoticePayload {
  return {
    title: "💾 Disk full: gaia.db cannot be written",
    lines: [
      `Gaia keeps watching: alerts are kept in memory (up to ${facts.heldMax}) and still sent here; their history is written once there is room again.`,
      "Free some space on the disk of gaia's home folder (df -h shows it). Log lines are dropped meanwhile.",
    ],
  };
}

/** The chat notice when gaia.db can be written again. */
export function diskRecoveredNotice(facts: { fullSince: Date; at: Date; dropped: number }): NoticePayload {
  return {
    title: "💾 Disk has room again: gaia.db is written again",
    lines: [
      `It could not be written for ${formatDuration(facts.at.getTime() - facts.fullSince.getTime())}; what the monitor saw meanwhile is being recorded.`,
      ...(facts.dropped > 0 ? [`${facts.dropped} alert${facts.dropped === 1 ? " was" : "s were"} not kept: too many piled up while the disk was full.`] : []),
    ],
  };
}
