import { Composer } from "grammy";
import type { GaiaContext } from "../context.js";
import { renderHelp } from "../render/help.js";

/** /help and /start: the list of commands. */
export function helpFeature(): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.command(["help", "start"], (ctx) => ctx.reply(renderHelp().text));
  return composer;
}
