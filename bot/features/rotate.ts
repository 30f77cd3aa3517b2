import { Composer } from "grammy";
import type { GaiaContext } from "../context.js";
import { renderNothingToCancel, renderRotationUnavailable } from "../render/rotation.js";

/** What /rotate knows: whether `github` is configured in gaia.yml. */
export interface RotateDeps {
  githubConfigured: boolean;
}

/** /rotate and /cancel: listed in the menu (CONTRACT section 5); the guided flow is future work. */
export function rotateFeature(deps: RotateDeps): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  composer.command("rotate", (ctx) => ctx.reply(renderRotationUnavailable(deps.githubConfigured).text));
  composer.command("cancel", (ctx) => ctx.reply(renderNothingToCancel().text));
  return composer;
}
