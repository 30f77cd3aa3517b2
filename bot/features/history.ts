import { Composer } from "grammy";
import type { HistoryPage } from "../../queries/history-timeline.js";
import { HISTORY_DATA, parseHistoryButton } from "../callback-data.js";
import type { GaiaContext } from "../context.js";
import { renderHistory, renderHistoryUsage } from "../render/history.js";
import { showInPlace } from "../show-in-place.js";

/** What /history reads: a page of the timeline, and whether a subject is configured. */
export interface HistoryDeps {
  history(subject: string | null, page: number): Promise<HistoryPage>;
  isKnownSubject(subject: string): boolean;
}

const SUBJECT = /^[a-z0-9_-]{1,32}$/;

/**
 * /history [SERVICE]: recent incidents and events (and a task's runs), newest first, paged; its
 * Newer, Older and Refresh buttons show that page, edited in place.
 */
export function historyFeature(deps: HistoryDeps): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.command("history", async (ctx) => {
    const argument = ctx.match.trim().toLowerCase();
    if (argument !== "" && !SUBJECT.test(argument)) {
      await ctx.reply(renderHistoryUsage(argument).text);
      return;
    }
    const subject = argument === "" ? null : argument;
    const message = renderHistory(await deps.history(subject, 0), { knownSubject: subject === null || deps.isKnownSubject(subject) });
    await ctx.reply(message.text, { reply_markup: message.reply_markup });
  });
  composer.callbackQuery(HISTORY_DATA, async (ctx) => {
    const { page, subject } = parseHistoryButton(ctx.callbackQuery.data) ?? { page: 0, subject: null };
    const history = await deps.history(subject, page);
    await showInPlace(ctx, renderHistory(history, { knownSubject: subject === null || deps.isKnownSubject(subject) }));
  });
  return composer;
}
