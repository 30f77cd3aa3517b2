import { Composer } from "grammy";
import type { StatusReport } from "../../queries/status-report.js";
import type { GaiaContext } from "../context.js";
import { renderStatus } from "../render/status.js";

/** /status: the host, the services and tasks, incidents and approvals in one message. */
export function statusCommand(deps: { report: () => Promise<StatusReport> }): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.command("status", async (ctx) => {
    const message = renderStatus(await deps.report());
    await ctx.reply(message.text, { parse_mode: "HTML", reply_markup: message.reply_markup });
  });
  return composer;
}
