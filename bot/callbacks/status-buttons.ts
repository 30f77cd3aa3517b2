import { Composer } from "grammy";
import type { StatusReport } from "../../queries/status-report.js";
import type { GaiaContext } from "../context.js";
import { renderStatus } from "../render/status.js";
import { parseStatusButton, STATUS_DATA } from "./callback-data.js";
import { showInPlace } from "./show-in-place.js";

/** The /status message's Refresh and paging buttons: the report again, edited in place. */
export function statusButtons(deps: { report: () => Promise<StatusReport> }): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.callbackQuery(STATUS_DATA, async (ctx) => {
    const page = parseStatusButton(ctx.callbackQuery.data) ?? 0;
    await showInPlace(ctx, renderStatus(await deps.report(), { page }));
  });
  return composer;
}
