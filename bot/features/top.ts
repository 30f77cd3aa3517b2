import { Composer } from "grammy";
import type { TopProcessesOrder } from "../../monitor/snapshot.js";
import type { TopView } from "../../monitor/top-sampler.js";
import { parseTopButton, TOP_DATA } from "../callback-data.js";
import type { GaiaContext } from "../context.js";
import { renderTop, renderTopUsage } from "../render/top.js";
import { showInPlace } from "../show-in-place.js";

/** Processes shown by /top: enough to find the culprit, short enough for a phone screen. */
export const TOP_PROCESS_COUNT = 10;

/** What /top reads: a fresh sample of the host's processes, in an order. */
export interface TopDeps {
  view: (order: TopProcessesOrder, count: number) => Promise<TopView>;
}

/**
 * /top [cpu|memory]: the busiest processes of the whole host, by recent CPU (default) or memory;
 * its sort and Refresh buttons take a fresh sample, edited in place.
 */
export function topFeature(deps: TopDeps): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.command("top", async (ctx) => {
    const argument = ctx.match.trim().toLowerCase();
    const order = parseOrder(argument);
    if (!order) {
      await ctx.reply(renderTopUsage(argument).text);
      return;
    }
    const message = renderTop(await deps.view(order, TOP_PROCESS_COUNT));
    await ctx.reply(message.text, { reply_markup: message.reply_markup });
  });
  composer.callbackQuery(TOP_DATA, async (ctx) => {
    const order = parseTopButton(ctx.callbackQuery.data) ?? "cpu";
    await showInPlace(ctx, renderTop(await deps.view(order, TOP_PROCESS_COUNT)));
  });
  return composer;
}

function parseOrder(argument: string): TopProcessesOrder | undefined {
  if (argument === "" || argument === "cpu") return "cpu";
  if (argument === "mem" || argument === "memory" || argument === "ram") return "memory";
  return undefined;
}
