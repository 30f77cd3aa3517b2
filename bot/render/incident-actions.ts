import type { RestartResult } from "../../incidents/service-restarter.js";
import { escapeTail } from "./alert.js";
import { formatClock } from "./figures.js";
import { html, type RenderedMessage } from "./html.js";

/** The answers shown by the alert buttons (callback query answers: plain text, ≤ 200 characters). */
export const INCIDENT_ANSWERS = {
  acknowledged: "Acknowledged: no more reminders for this incident.",
  alreadyAcknowledged: (by: string) => `Already acknowledged by ${by}.`,
  resolved: "This incident is already resolved.",
  unknown: "This incident is no longer known.",
  muted: (subject: string, until: Date) => `Muted ${subject} until ${formatClock(until)}. /unmute ${subject} ends it early.`,
  noRestart: "This service has no restart command in gaia.yml.",
  hostMute: "The host is muted only with /mute all.",
  confirmRestart: (subject: string) => `Tap “Confirm restart” within a minute to restart ${subject}.`,
  confirmExpired: "That confirmation expired; tap Restart again.",
  restarting: (subject: string) => `Restarting ${subject}…`,
  restartRunning: (subject: string) => `A restart of ${subject} is already running.`,
  restartCancelled: "Restart cancelled.",
} as const;

/** The labels of the Restart button and of the Confirm / Cancel pair that replaces it for a minute. */
export const INCIDENT_BUTTONS = {
  restart: "Restart",
  confirmRestart: (subject: string) => `⚠️ Confirm restart ${subject}`,
  cancel: "Cancel",
} as const;

/** The message that reports a restart: exit status, duration and the end of its output. */
export function renderRestartResult(result: RestartResult, actor: string): RenderedMessage {
  const seconds = `${(result.durationMs / 1000).toFixed(1)}s`;
  const headline = result.error
    ? html`❌ <b>Restart of ${result.service} could not start</b>: ${result.error}`
    : result.timedOut
      ? html`⏱ <b>Restart of ${result.service} timed out</b> after ${seconds} and was killed`
      : result.exitCode === 0
        ? html`🔁 <b>Restarted ${result.service}</b>: exit code 0 in ${seconds}`
        : html`❌ <b>Restart of ${result.service} failed</b>: exit code ${result.exitCode} after ${seconds}`;
  const lines = [headline, html`Requested by ${actor}. The next probes will tell whether it is back up.`];
  if (result.outputTail) lines.push(`<pre>${escapeTail(result.outputTail, 3000)}</pre>`);
  else lines.push("<i>No output.</i>");
  return { text: lines.join("\n") };
}
