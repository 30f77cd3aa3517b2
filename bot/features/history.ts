import { Composer } from "grammy";
import type { HistoryPage } from "../../queries/history-timeline.js";
import { HISTORY_DATA, parseHistoryButton } from "../callback-data.js";
import type { GaiaContext } from "../context.js";
import { renderHistory, renderHistoryUsage } from "../render/history.js";
import { showInPlace } from "../show-in-place.js";

/** What /history reads: a page of the timeline, and whether a subject is configured. */
export interface HistoryDeps {
  /** `host`: undefined for this host, `*` for every host sharing the database, or one host's name. */
  history(subject: string | null, page: number, host?: string): Promise<HistoryPage>;
  isKnownSubject(subject: string): boolean;
}

const SUBJECT = /^[a-z0-9_-]{1,32}$/;
/** A host name short enough for the buttons' callback data (64 bytes), or `*` for every host. */
const HOST = /^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,22})$/;

/**
 * /history [SERVICE] [@all|@HOST]: recent incidents and events (and a task's runs), newest first, paged; its
 * Newer, Older and Refresh buttons show that page, edited in place.
 */
export function historyFeature(deps: HistoryDeps): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.command("history", async (ctx) => {
    // `@all` or `@HOST` (a shared PostgreSQL database): every host's timeline, or one host's.
    const words = ctx.match.trim().split(/\s+/).filter(Boolean);
    const selector = words.find((word) => word.startsWith("@"));
    const rest = words.filter((word) => word !== selector);
    const argument = rest.join(" ").toLowerCase();
    const host = selector === undefined ? undefined : selector.toLowerCase() === "@all" ? "*" : selector.slice(1);
    if ((argument !== "" && !SUBJECT.test(argument)) || (host !== undefined && !HOST.test(host))) {
      await ctx.reply(renderHistoryUsage(ctx.match.trim().toLowerCase()).text);
      return;
    }
    const subject = argument === "" ? null : argument;
    const message = renderHistory(await deps.history(subject, 0, host), { knownSubject: subject === null || deps.isKnownSubject(subject) });
    await ctx.reply(message.text, { reply_markup: message.reply_markup });
  });
  composer.callbackQuery(HISTORY_DATA, async (ctx) => {
    const { page, subject, host } = parseHistoryButton(ctx.callbackQuery.data) ?? { page: 0, subject: null };
    const history = await deps.history(subject, page, host);
    await showInPlace(ctx, renderHistory(history, { knownSubject: subject === null || deps.isKnownSubject(subject) }));
  });
  return composer;
}
