import type { ActiveMute } from "../../alerts/mute-list.js";
import { formatDuration } from "../../config/durations.js";
import { html, type RenderedMessage } from "./html.js";
import { fitBlocks, truncatePlain } from "./paginate.js";

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
export function renderMuteList(mutes: readonly ActiveMute[], now: Date, windows: readonly { services: readonly string[]; until: Date }[] = []): RenderedMessage {
  const lines = mutes.map((m) => html`• ${m.subject === "all" ? "all alerts" : m.subject} until ${clock(m.until, now)} (${formatDuration(m.until.getTime() - now.getTime())} left)`);
  const windowLines = windows.map((w) => html`🔧 maintenance: ${w.services.join(", ")} until ${clock(w.until, now)} (${formatDuration(w.until.getTime() - now.getTime())} left)`);
  const anything = mutes.length > 0 || windows.length > 0;
  return {
    // Many mutes must still fit in one message: the last ones are left out, with a note saying so.
    text: fitBlocks([anything ? "<b>Muted now</b>" : "Nothing is muted.", ...lines, ...windowLines, "", html`Usage: ${USAGE}`], {
      note: (omitted) => `<i>…and ${omitted} more lines that did not fit.</i>`,
    }),
  };
}

/** Why a /mute or /unmute could not be done, as facts. */
export type MuteProblem =
  | { kind: "unknownSubject"; word: string; suggestion?: string; subjects: readonly string[] }
  | { kind: "tooManyWords"; subject: string }
  | { kind: "notADuration"; word: string }
  | { kind: "tooLong"; maxMs: number }
  | { kind: "unmuteWhat" };

/** Subjects listed at most in a problem: a long list would not fit in a message (nor help anyone). */
const LISTED_AT_MOST = 20;

/** A /mute or /unmute that could not be understood, with the usage. */
export function renderMuteProblem(problem: MuteProblem): RenderedMessage {
  return { text: html`${muteProblemSentence(problem)}\nUsage: ${USAGE}` };
}

function muteProblemSentence(problem: MuteProblem): string {
  switch (problem.kind) {
    case "unknownSubject": {
      const { subjects } = problem;
      const listed = subjects.length > LISTED_AT_MOST ? `${subjects.slice(0, LISTED_AT_MOST).join(", ")} and ${subjects.length - LISTED_AT_MOST} more` : subjects.join(", ");
      const known = subjects.length ? `Known: ${listed}, or all.` : "No services or tasks are configured; use all.";
      return `There is no service or task named "${truncatePlain(problem.word, 64)}".${problem.suggestion ? ` Did you mean ${problem.suggestion}?` : ""} ${known}`;
    }
    case "tooManyWords":
      return `Too many words after /mute ${problem.subject}.`;
    case "notADuration":
      return `"${truncatePlain(problem.word, 64)}" is not a duration; write it like 30m, 2h or 1d.`;
    case "tooLong":
      return `At most ${formatDuration(problem.maxMs)}: a longer silence is better done by removing the service from gaia.yml.`;
    case "unmuteWhat":
      return "Say what to unmute: a service, a task, or all.";
  }
}

function clock(date: Date, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return date.toDateString() === now.toDateString() ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}
