import { Composer, type Api } from "grammy";
import { conversations, createConversation, type Conversation, type ConversationFlavor } from "@grammyjs/conversations";
import type { Logger } from "pino";
import { Secret } from "../../config/secret.js";
import type { AuditTrail } from "../../entities/audit-trail.js";
import type { Rotation } from "../../entities/rotation.js";
import { RotationFailed } from "../../rotation/rotation-errors.js";
import { reached, type RotationRunner } from "../../rotation/rotation-runner.js";
import type { RotationSchedule } from "../../rotation/rotation-schedule.js";
import type { TokenFacts } from "../../rotation/token-facts.js";
import { parseRotationNoticeButton, ROTATION_NOTICE_DATA } from "../callback-data.js";
import type { GaiaContext } from "../context.js";
import {
  renderNotAChoice,
  renderNothingToCancel,
  renderNotAToken,
  renderPasteToken,
  renderRotationCancelled,
  renderRotationPlan,
  renderRotationProblem,
  renderRotationProgress,
  renderRotationSummary,
  renderRotationUnavailable,
  renderTokenRefused,
  renderVerification,
  ROTATION_BUTTON_ANSWERS,
  ROTATION_BUTTONS,
  type RotationPlanView,
  type TokenFactsView,
} from "../render/rotation.js";

/** A prompt of the flow left unanswered this long ends the flow (the rotation-due job rolls its row back). */
export const ROTATE_FLOW_TIMEOUT_MS = 15 * 60_000;

/** A pasted PAT: fine-grained or classic (an installation token cannot be pasted: the App mints its own). */
const PASTED_TOKEN = /\b(github_pat_[A-Za-z0-9_]{22,255}|ghp_[A-Za-z0-9]{36,255})\b/;

/** What /rotate works with when rotation is configured. */
export interface RotationChat {
  runner: RotationRunner;
  schedule: RotationSchedule;
  identity: "pat" | "app";
  repository?: string;
  /** The stores' names, for the plan. */
  stores: string[];
  /** GITHUB_TOKEN comes from the process environment (it wins over the env-file store at the next start). */
  tokenFromProcessEnvironment: boolean;
  /** GitHub's page where a new fine-grained token is made (follows GITHUB_API_URL for Enterprise Server). */
  tokenPageUrl: string;
  /** After a rotation is done: the next due time moves a schedule away. */
  rotated(): Promise<void>;
  /** Sends and edits the progress message from inside `conversation.external()`. */
  api: Api;
  audit: AuditTrail;
  logger: Logger;
}

/** What /rotate knows: whether `github` is configured in gaia.yml, and the rotation when it runs. */
export interface RotateDeps {
  githubConfigured: boolean;
  rotation?: RotationChat;
}

type OuterContext = ConversationFlavor<GaiaContext>;
type RotateConversation = Conversation<OuterContext, GaiaContext>;
type Choice = keyof typeof ROTATION_BUTTONS;
/** The result of a domain call inside `external()`: plain data only (it is kept in the conversation's log). */
type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string; code?: string };

/**
 * /rotate, the guided token rotation (CONTRACT section 5), with /cancel and the buttons of the
 * rotation notices. The flow is a @grammyjs/conversations (v2) conversation with
 * @grammyjs/menu-style buttons from `conversation.menu()`; every domain call runs in
 * `conversation.external()` and returns plain data (fingerprints, never a token).
 *
 * Where the plugins cannot do what is needed:
 * - The notices "rotation due" (Start rotation / Snooze 1 day) and "interrupted" (Resume / Roll
 *   back) are sent by the outbox through `bot.api`, after a restart or an outage; a menu can only
 *   be sent from a handler's context and lives in the process that sent it, so those buttons are
 *   plain callback data (bot/callback-data.ts), handled below.
 * - The conversation plugin keeps every update of an active conversation in its storage, the
 *   pasted token's message included. Its storage stays the default in-memory one (never on
 *   disk), the message is deleted at once, the token is staged in `.private/` by the first
 *   `external()` and only its fingerprint is kept; a restart loses the conversation, and the
 *   rotation row in gaia.db then drives the "resume or roll back" notice.
 * Handlers that must work during a flow come before it: /cancel here, other features' commands
 * and buttons (approvals...) in the features installed before this one. The notice buttons must
 * come after it (their Start rotation enters it); a waiting flow passes them on.
 */
export function rotateFeature(deps: RotateDeps): Composer<GaiaContext> {
  const outer = new Composer<OuterContext>();
  const chat = deps.rotation;
  if (!chat) {
    outer.command("rotate", (ctx) => ctx.reply(renderRotationUnavailable(deps.githubConfigured).text));
    outer.command("cancel", (ctx) => ctx.reply(renderNothingToCancel().text));
    return outer as unknown as Composer<GaiaContext>;
  }

  outer.use(conversations<OuterContext, GaiaContext>());

  outer.command("cancel", async (ctx) => {
    if (ctx.conversation.active("rotate") === 0) {
      await ctx.reply(renderNothingToCancel().text);
      return;
    }
    await ctx.conversation.exit("rotate");
    const rolledBack = await cancelUnfinished(chat, `telegram:${ctx.from?.id ?? 0}`, "cancelled with /cancel");
    await ctx.reply(renderRotationCancelled(rolledBack).text);
  });

  // The conversation is registered here: `enter()` (the notice's Start rotation) works only
  // downstream of it. While a flow waits, it passes updates it does not want on (`skip`), so the
  // notice buttons below still answer during a flow.
  outer.use(createConversation<OuterContext, GaiaContext>((conversation, ctx) => rotateFlow(conversation, ctx, chat), { id: "rotate", maxMillisecondsToWait: ROTATE_FLOW_TIMEOUT_MS }));

  outer.callbackQuery(ROTATION_NOTICE_DATA, async (ctx) => {
    const pressed = parseRotationNoticeButton(ctx.callbackQuery.data);
    const actor = `telegram:${ctx.from.id}`;
    if (!pressed) return void (await ctx.answerCallbackQuery({ text: ROTATION_BUTTON_ANSWERS.gone }));
    if (pressed.action === "snooze") {
      const until = await chat.schedule.snooze();
      await chat.audit.record({ kind: "rotation.snoozed", actor, message: `Rotation snoozed until ${until.toISOString()}`, details: { until: until.toISOString() } });
      await ctx.answerCallbackQuery({ text: ROTATION_BUTTON_ANSWERS.snoozed(until.toISOString()) });
      await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
      return;
    }
    if (pressed.action === "start") {
      await ctx.answerCallbackQuery({ text: ROTATION_BUTTON_ANSWERS.starting });
      await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
      await ctx.conversation.enter("rotate");
      return;
    }
    const row = await chat.runner.find(pressed.rotationId!);
    if (!row || row.outcome !== "running") return void (await ctx.answerCallbackQuery({ text: ROTATION_BUTTON_ANSWERS.gone }));
    await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
    if (pressed.action === "rollback") {
      await ctx.answerCallbackQuery({ text: ROTATION_BUTTON_ANSWERS.rolledBack });
      const outcome = await attempt(() => chat.runner.rollBack(row.id, "rolled back by an admin after a restart", actor));
      await ctx.reply((outcome.ok ? renderRotationCancelled(true) : renderRotationProblem(outcome.reason)).text);
      return;
    }
    await ctx.answerCallbackQuery({ text: ROTATION_BUTTON_ANSWERS.resumed });
    if (!reached(row, "verified")) {
      // Pressing Resume is the admin's go-ahead; the staged token is still checked first.
      const verified = await attempt(() => chat.runner.verify(row.id, actor));
      if (!verified.ok) return void (await ctx.reply(renderTokenRefused(verified.reason).text));
    }
    const progress = await ctx.reply(renderRotationProgress({ step: row.step }).text);
    const summary = await finishWithProgress(chat, row.id, actor, progress.chat.id, progress.message_id);
    await ctx.reply(renderRotationSummary(summary).text);
  });

  outer.command("rotate", (ctx) => ctx.conversation.enter("rotate"));
  return outer as unknown as Composer<GaiaContext>;
}

/** The guided flow: plan → Start → (pat: paste) → verification → Confirm → progress → summary. */
async function rotateFlow(conversation: RotateConversation, ctx: GaiaContext, chat: RotationChat): Promise<void> {
  const actor = `telegram:${ctx.from?.id ?? 0}`;
  const noPreview = { link_preview_options: { is_disabled: true } };
  const plan = await conversation.external(() => attempt(() => planOf(chat)));
  if (!plan.ok) return void (await ctx.reply(renderRotationProblem(plan.reason).text, noPreview));
  if ((await choose(conversation, ctx, renderRotationPlan(plan.value).text, ["start", "cancel"])) !== "start") {
    return void (await ctx.reply(renderRotationCancelled(false).text, noPreview));
  }

  const requested = await conversation.external(() => attempt(async () => (await chat.runner.request({ trigger: "chat", actor })).id));
  if (!requested.ok) return void (await ctx.reply(renderRotationProblem(requested.reason).text, noPreview));
  const id = requested.value;

  let staged: Outcome<unknown>;
  if (chat.identity === "pat") {
    await ctx.reply(renderPasteToken(chat.tokenPageUrl, plan.value.current?.login).text, noPreview);
    for (;;) {
      const answer = await conversation.wait();
      const text = answer.message?.text ?? answer.message?.caption;
      if (!answer.message) {
        await conversation.skip({ next: true }); // a button of another message: its own handler answers it
        continue;
      }
      const token = text ? PASTED_TOKEN.exec(text)?.[1] : undefined;
      if (!token) {
        await answer.reply(renderNotAToken().text, noPreview);
        continue;
      }
      // Gone from the chat before anything else happens; the token itself is never echoed.
      await answer.deleteMessage().catch(() => undefined);
      staged = await conversation.external(() => attempt(async () => (await chat.runner.stage(id, new Secret(token), actor)).newFingerprint));
      break;
    }
  } else {
    staged = await conversation.external(() => attempt(async () => (await chat.runner.mintAndStage(id, actor)).newFingerprint));
  }
  if (!staged.ok) return void (await ctx.reply(renderTokenRefused(staged.reason).text, noPreview));

  const verified = await conversation.external(() =>
    attempt(async () => {
      const { rotation, facts, warnings } = await chat.runner.verify(id, actor);
      return { facts: viewOf(facts, rotation.newFingerprint ?? ""), warnings };
    }),
  );
  if (!verified.ok) return void (await ctx.reply(renderTokenRefused(verified.reason).text, noPreview));
  if ((await choose(conversation, ctx, renderVerification(verified.value.facts, verified.value.warnings).text, ["confirm", "cancel"])) !== "confirm") {
    const rolledBack = await conversation.external(() => cancelUnfinished(chat, actor, "cancelled by an admin before confirming"));
    return void (await ctx.reply(renderRotationCancelled(rolledBack).text, noPreview));
  }

  const progress = await ctx.reply(renderRotationProgress({ step: "approved" }).text, noPreview);
  const summary = await conversation.external(() => finishWithProgress(chat, id, actor, progress.chat.id, progress.message_id));
  await ctx.reply(renderRotationSummary(summary).text, noPreview);
}

/**
 * Sends a message with a conversational menu of choices and waits for a press. Anything else
 * meanwhile: a text gets a pointer to the buttons, other updates pass on to their own handlers.
 */
async function choose(conversation: RotateConversation, ctx: GaiaContext, text: string, choices: Choice[]): Promise<Choice> {
  let picked: Choice | undefined;
  const menu = conversation.menu();
  for (const choice of choices) {
    menu.text(ROTATION_BUTTONS[choice], async (press, next) => {
      picked = choice;
      await press.menu.close();
      await next(); // hands the press to the waiting flow
    });
  }
  await ctx.reply(text, { reply_markup: menu, link_preview_options: { is_disabled: true } });
  for (;;) {
    const update = await conversation.wait();
    if (picked) return picked;
    if (update.message?.text) await update.reply(renderNotAChoice(choices.map((c) => ROTATION_BUTTONS[c])).text);
    else await conversation.skip({ next: true });
  }
}

/** Approves and completes a rotation, editing one progress message as each step is recorded. */
async function finishWithProgress(chat: RotationChat, id: number, actor: string, chatId: number, messageId: number) {
  let shown = "";
  const edit = async (step: string, failed?: string) => {
    const text = renderRotationProgress({ step, ...(failed ? { failed } : {}) }).text;
    if (text === shown) return;
    shown = text;
    await chat.api.editMessageText(chatId, messageId, text).catch((error: unknown) => chat.logger.warn({ err: error }, "cannot edit the rotation progress"));
  };
  try {
    await chat.runner.approve(id, actor);
    const done = await chat.runner.complete(id, actor, (row: Rotation) => edit(row.step));
    await chat.rotated();
    return { outcome: "done", rotationId: id, ...fingerprints(done), ...(done.error ? { warning: done.error } : {}) };
  } catch (error) {
    const row = await chat.runner.find(id);
    const reason = (error as Error).message;
    await edit(row?.step ?? "approved", reason);
    return { outcome: row?.outcome ?? "rolled-back", rotationId: id, reason };
  }
}

function fingerprints(row: Rotation): { newFingerprint?: string; oldFingerprint?: string } {
  return { ...(row.newFingerprint ? { newFingerprint: row.newFingerprint } : {}), ...(row.oldFingerprint ? { oldFingerprint: row.oldFingerprint } : {}) };
}

/** Rolls back the unfinished rotation of a cancelled flow; true when there was one. */
async function cancelUnfinished(chat: RotationChat, actor: string, reason: string): Promise<boolean> {
  const active = await chat.runner.active();
  if (!active || active.trigger !== "chat" || reached(active, "approved")) return false;
  const outcome = await attempt(() => chat.runner.rollBack(active.id, reason, actor));
  return outcome.ok;
}

/** The plan: the identity, the current token's facts and warnings. */
async function planOf(chat: RotationChat): Promise<RotationPlanView> {
  const busy = await chat.runner.active();
  if (busy) throw new RotationFailed(`rotation #${busy.id} is in progress (step ${busy.step}); /cancel it or wait for it`, "busy");
  const plan: RotationPlanView = {
    identity: chat.identity,
    stores: chat.stores,
    warnings: [],
    ...(chat.repository ? { repository: chat.repository } : {}),
    ...(chat.tokenFromProcessEnvironment ? { tokenFromProcessEnvironment: true } : {}),
  };
  try {
    const facts = await chat.runner.currentFacts();
    if (facts) {
      plan.current = viewOf(facts, chat.runner.currentFingerprint() ?? "");
      plan.warnings = chat.runner.warningsFor(facts);
    }
  } catch (error) {
    plan.currentError = (error as Error).message;
  }
  return plan;
}

function viewOf(facts: TokenFacts, fingerprint: string): TokenFactsView {
  return {
    fingerprint,
    login: facts.login,
    kind: facts.kind,
    scopes: facts.scopes,
    ...(facts.permissions ? { permissions: facts.permissions } : {}),
    expiresAt: facts.expiresAt ? facts.expiresAt.toISOString() : null,
  };
}

/** Runs a domain call and turns a RotationFailed into plain data for the conversation's log. */
async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof RotationFailed) return { ok: false, reason: error.message, code: error.code };
    throw error;
  }
}
