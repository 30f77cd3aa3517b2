import { Composer } from "grammy";
import type { TopProcessesOrder } from "../../monitor/snapshot.js";
import type { TopView } from "../../monitor/top-sampler.js";
import { TOP_PROCESS_COUNT } from "../commands/top.js";
import type { GaiaContext } from "../context.js";
import { renderTop } from "../render/top.js";
import { parseTopButton, TOP_DATA } from "./callback-data.js";
import { showInPlace } from "./show-in-place.js";

/** The /top message's sort and Refresh buttons: a fresh sample, edited in place. */
export function topButtons(deps: { view: (order: TopProcessesOrder, count: number) => Promise<TopView> }): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.callbackQuery(TOP_DATA, async (ctx) => {
    const order = parseTopButton(ctx.callbackQuery.data) ?? "cpu";
    await showInPlace(ctx, renderTop(await deps.view(order, TOP_PROCESS_COUNT)));
  });
  return composer;
}
