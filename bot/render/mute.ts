import type { ActiveMute } from "../../alerts/mute-list.js";
import { formatDuration } from "../../config/durations.js";
import { html, type RenderedMessage } from "./html.js";
import { fitBlocks } from "./paginate.js";

/** The usage line of /mute and /unmute. */
const USAGE = "/mute SERVICE|all [DURATION] (default 1h), /unmute SERVICE|all";

/** The answer to /mute: what is muted now, until when. */
export function renderMuted(mute: ActiveMute, now: Date): RenderedMessage {
  const who = mute.subject === "all" ? "All alerts are" : html`<b>${mute.subject}</b> is`;
  return {
    text:
      `🔕 ${who} muted for ${html`${formatDuration(mute.until.getTime() - now.getTime())}`} (until ${html`${clock(mute.until, now)}`}). ` +
      "Incidents are still recorded; /unmute ends it early.",
  };
}

/** The answer to /unmute. */
export function renderUnmuted(subject: string, wasMuted: boolean): RenderedMessage {
  const who = subject === "all" ? "all alerts" : html`<b>${subject}</b>`;
  if (!wasMuted) return { text: subject === "all" ? "Alerts were not muted as a whole (/mute lists what is)." : `${who} was not muted.` };
  return { text: `🔔 Unmuted ${who}: alerts are sent again.` };
}

/** /mute without arguments: the mutes in force, and how to add one. */
export function renderMuteList(mutes: readonly ActiveMute[], now: Date): RenderedMessage {
  const lines = mutes.map((m) => html`• ${m.subject === "all" ? "all alerts" : m.subject} until ${clock(m.until, now)} (${formatDuration(m.until.getTime() - now.getTime())} left)`);
  return {
    // Many mutes must still fit in one message: the last ones are left out, with a note saying so.
    text: fitBlocks([mutes.length ? "<b>Muted now</b>" : "Nothing is muted.", ...lines, "", html`Usage: ${USAGE}`], {
      note: (omitted) => `<i>…and ${omitted} more lines that did not fit.</i>`,
    }),
  };
}

/** A /mute or /unmute that could not be understood. */
export function renderMuteProblem(problem: string): RenderedMessage {
  return { text: html`${problem}\nUsage: ${USAGE}` };
}

function clock(date: Date, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return date.toDateString() === now.toDateString() ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}
