import { Composer } from "grammy";
import type { StatusReport } from "../../queries/status-report.js";
import { parseStatusButton, STATUS_DATA } from "../callback-data.js";
import type { GaiaContext } from "../context.js";
import { renderStatus } from "../render/status.js";
import { showInPlace } from "../show-in-place.js";

/** What /status reads: the report behind it (also `GET /v1/status` and `gaia status`). */
export interface StatusDeps {
  report: () => Promise<StatusReport>;
}

/**
 * /status: the host, the services and tasks, incidents and approvals in one message; its Refresh
 * and paging buttons show the report again, edited in place.
 */
export function statusFeature(deps: StatusDeps): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.command("status", async (ctx) => {
    const message = renderStatus(await deps.report());
    await ctx.reply(message.text, { reply_markup: message.reply_markup });
  });
  composer.callbackQuery(STATUS_DATA, async (ctx) => {
    const page = parseStatusButton(ctx.callbackQuery.data) ?? 0;
    await showInPlace(ctx, renderStatus(await deps.report(), { page }));
  });
  return composer;
}
