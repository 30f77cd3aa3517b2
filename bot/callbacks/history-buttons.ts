import { Composer } from "grammy";
import type { HistoryDeps } from "../commands/history.js";
import type { GaiaContext } from "../context.js";
import { renderHistory } from "../render/history.js";
import { HISTORY_DATA, parseHistoryButton } from "./callback-data.js";
import { showInPlace } from "./show-in-place.js";

/** The /history message's Newer, Older and Refresh buttons: that page, edited in place. */
export function historyButtons(deps: HistoryDeps): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.callbackQuery(HISTORY_DATA, async (ctx) => {
    const { page, subject } = parseHistoryButton(ctx.callbackQuery.data) ?? { page: 0, subject: null };
    const history = await deps.history(subject, page);
    await showInPlace(ctx, renderHistory(history, { knownSubject: subject === null || deps.isKnownSubject(subject) }));
  });
  return composer;
}
