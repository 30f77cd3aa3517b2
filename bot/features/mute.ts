import { Composer } from "grammy";
import type { MuteList } from "../../alerts/mute-list.js";
import { didYouMean } from "../../config/did-you-mean.js";
import { parseDuration } from "../../config/durations.js";
import type { GaiaContext } from "../context.js";
import { renderMuted, renderMuteList, renderMuteProblem, renderUnmuted, type MuteProblem } from "../render/mute.js";

/** The default and the longest mute. */
export const DEFAULT_MUTE_MS = 60 * 60_000;
const MAX_MUTE_MS = 30 * 86_400_000;

export interface MuteDeps {
  mutes: MuteList;
  /** Every service and task name (what can be muted besides `all`). */
  subjects: readonly string[];
  now: () => Date;
  /** The maintenance windows open at a moment (gaia.yml `maintenance:`), listed beside the mutes. */
  maintenance?: (now: Date) => { services: readonly string[]; until: Date }[];
}

/**
 * /mute SERVICE|all [DURATION] and /unmute SERVICE|all: silence one service or task, or
 * everything (maintenance), for a while. Muted incidents are still recorded, just not sent.
 */
export function muteFeature(deps: MuteDeps): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  const reply = (ctx: GaiaContext, message: { text: string }) => ctx.reply(message.text);

  composer.command("mute", async (ctx) => {
    const [subjectWord, durationWord, ...rest] = ctx.match.trim().split(/\s+/).filter(Boolean);
    if (!subjectWord) {
      const now = deps.now();
      return void (await reply(ctx, renderMuteList(deps.mutes.active(), now, deps.maintenance?.(now) ?? [])));
    }
    const subject = checkSubject(subjectWord, deps.subjects);
    if ("problem" in subject) return void (await reply(ctx, renderMuteProblem(subject.problem)));
    if (rest.length > 0) return void (await reply(ctx, renderMuteProblem({ kind: "tooManyWords", subject: subject.name })));
    const durationMs = durationWord === undefined ? DEFAULT_MUTE_MS : parseDuration(durationWord);
    if (durationMs === undefined || durationMs <= 0) {
      return void (await reply(ctx, renderMuteProblem({ kind: "notADuration", word: durationWord ?? "" })));
    }
    if (durationMs > MAX_MUTE_MS) {
      return void (await reply(ctx, renderMuteProblem({ kind: "tooLong", maxMs: MAX_MUTE_MS })));
    }
    const now = deps.now();
    const mute = await deps.mutes.mute(subject.name, new Date(now.getTime() + durationMs), actorOf(ctx));
    await reply(ctx, renderMuted(mute, now));
  });

  composer.command("unmute", async (ctx) => {
    const words = ctx.match.trim().split(/\s+/).filter(Boolean);
    if (words.length !== 1) return void (await reply(ctx, renderMuteProblem({ kind: "unmuteWhat" })));
    const subject = checkSubject(words[0], deps.subjects);
    if ("problem" in subject) return void (await reply(ctx, renderMuteProblem(subject.problem)));
    const wasMuted = await deps.mutes.unmute(subject.name, actorOf(ctx));
    await reply(ctx, renderUnmuted(subject.name, wasMuted));
  });
  return composer;
}

/** Who did it, for the audit trail. */
export function actorOf(ctx: GaiaContext): string {
  return ctx.from ? `telegram:${ctx.from.id}` : "telegram";
}

function checkSubject(word: string, subjects: readonly string[]): { name: string } | { problem: MuteProblem } {
  const name = word.toLowerCase();
  if (name === "all" || subjects.includes(name)) return { name };
  const suggestion = didYouMean(name, subjects);
  return { problem: { kind: "unknownSubject", word, subjects, ...(suggestion ? { suggestion } : {}) } };
}
