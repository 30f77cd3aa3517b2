import { Composer } from "grammy";
import type { ApprovalRequests } from "../../approvals/approval-requests.js";
import type { GaiaContext } from "../context.js";
import { renderApprovalRequest, renderPendingApprovals } from "../render/approval.js";

/** At most this many requests are repeated per /approvals, to keep the chat readable. */
const SHOWN_AT_MOST = 10;

/**
 * /approvals: the pending requests, oldest first, each repeated with its Approve and Deny
 * buttons (a press on a copy decides like a press on the original).
 */
export function approvalsCommand(options: { requests: ApprovalRequests; host: string; now: () => Date }): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.command("approvals", async (ctx) => {
    const pending = await options.requests.pending();
    const shown = pending.slice(0, SHOWN_AT_MOST);
    await ctx.reply(renderPendingApprovals(pending.length, shown.length).text, { parse_mode: "HTML" });
    for (const request of shown) {
      const rendered = renderApprovalRequest(request, { host: options.host, now: options.now() });
      await ctx.reply(rendered.text, { parse_mode: "HTML", reply_markup: rendered.reply_markup });
    }
  });
  return composer;
}
