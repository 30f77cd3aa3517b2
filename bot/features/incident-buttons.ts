import { Composer } from "grammy";
import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { MuteList } from "../../alerts/mute-list.js";
import type { ServiceConfig } from "../../config/types.js";
import { Incident } from "../../entities/incident.js";
import type { MonitorEngine } from "../../incidents/monitor-engine.js";
import { RestartInProgress, type ServiceRestarter } from "../../incidents/service-restarter.js";
import { incidentButton, INCIDENT_DATA, parseIncidentButton } from "../callback-data.js";
import type { GaiaContext } from "../context.js";
import { PendingConfirmations } from "../pending-confirmations.js";
import { INCIDENT_ANSWERS, INCIDENT_BUTTONS, renderRestartResult } from "../render/incident-actions.js";
import { actorOf, DEFAULT_MUTE_MS } from "./mute.js";

/** How long the second tap of a restart may wait. */
const CONFIRM_WINDOW_MS = 60_000;

export interface IncidentButtonsDeps {
  engine: MonitorEngine;
  mutes: MuteList;
  restarter: ServiceRestarter;
  services: readonly ServiceConfig[];
  dataSource: DataSource;
  logger: Logger;
  now: () => Date;
}

/**
 * The buttons of an alert: Ack (no more reminders), Mute 1h (its service or task), and Restart,
 * which asks for a confirming second tap and then runs the service's `restart` command once
 * (in the background, so the bot keeps answering) and reports its exit status and output tail.
 * Every press is answered; a press about a resolved or unknown incident gets a short answer.
 */
export function incidentButtonsFeature(deps: IncidentButtonsDeps): Composer<GaiaContext> {
  const composer = new Composer<GaiaContext>();
  /** Restarts waiting for their second tap: incident id → the button's text (to put it back). */
  const pending = new PendingConfirmations<{ buttonText: string }>(CONFIRM_WINDOW_MS);

  composer.callbackQuery(INCIDENT_DATA, async (ctx) => {
    const { action, incidentId: id } = parseIncidentButton(ctx.callbackQuery.data)!;
    const actor = actorOf(ctx);
    const answer = (text: string) => ctx.answerCallbackQuery({ text });

    if (action === "ack") {
      const outcome = await deps.engine.acknowledge(id, actor);
      if (outcome.kind === "acknowledged") {
        await answer(INCIDENT_ANSWERS.acknowledged);
        await editKeyboard(ctx, deps.logger, (keyboard) => removeButton(keyboard, incidentButton("ack", id)));
      } else if (outcome.kind === "already") {
        await answer(INCIDENT_ANSWERS.alreadyAcknowledged(outcome.incident.acknowledgedBy ?? "someone"));
      } else {
        await answer(outcome.kind === "resolved" ? INCIDENT_ANSWERS.resolved : INCIDENT_ANSWERS.unknown);
      }
      return;
    }

    const incident = await deps.dataSource.getRepository(Incident).findOneBy({ id });
    if (!incident) return void (await answer(INCIDENT_ANSWERS.unknown));

    if (action === "mute") {
      if (incident.status !== "open") return void (await answer(INCIDENT_ANSWERS.resolved));
      // The host has no mute of its own: only "all" silences it, and one button must not do that.
      if (incident.subjectKind === "host") return void (await answer(INCIDENT_ANSWERS.hostMute));
      const subject = incident.subjectName;
      const now = deps.now();
      const mute = await deps.mutes.mute(subject, new Date(now.getTime() + DEFAULT_MUTE_MS), actor);
      await answer(INCIDENT_ANSWERS.muted(subject, mute.until));
      await editKeyboard(ctx, deps.logger, (keyboard) => removeButton(keyboard, incidentButton("mute", id)));
      return;
    }

    const service = incident.subjectKind === "service" ? deps.services.find((s) => s.name === incident.subjectName) : undefined;
    // A container restarts through the Docker API, a unit through systemd's; anything else needs its restart command.
    if (!service || (!service.restart && service.match.kind !== "container" && service.match.kind !== "unit")) return void (await answer(INCIDENT_ANSWERS.noRestart));

    if (action === "restart") {
      if (incident.status !== "open") return void (await answer(INCIDENT_ANSWERS.resolved));
      if (deps.restarter.isRunning(service.name)) return void (await answer(INCIDENT_ANSWERS.restartRunning(service.name)));
      const button = findButton(ctx.callbackQuery.message?.reply_markup, incidentButton("restart", id));
      pending.add(id, { buttonText: button?.text ?? INCIDENT_BUTTONS.restart }, deps.now().getTime());
      await answer(INCIDENT_ANSWERS.confirmRestart(service.name));
      await editKeyboard(ctx, deps.logger, (keyboard) =>
        replaceButton(keyboard, incidentButton("restart", id), [
          { text: INCIDENT_BUTTONS.confirmRestart(service.name), callback_data: incidentButton("confirm", id) },
          { text: INCIDENT_BUTTONS.cancel, callback_data: incidentButton("cancel", id) },
        ]),
      );
      return;
    }

    // confirm or cancel: either way the Restart button comes back.
    const waiting = pending.take(id, deps.now().getTime());
    const restore = () =>
      editKeyboard(ctx, deps.logger, (keyboard) =>
        replaceButton(removeButton(keyboard, incidentButton("cancel", id)), incidentButton("confirm", id), [
          { text: waiting?.value.buttonText ?? INCIDENT_BUTTONS.restart, callback_data: incidentButton("restart", id) },
        ]),
      );
    if (action === "cancel") {
      await answer(INCIDENT_ANSWERS.restartCancelled);
      await restore();
      return;
    }
    if (!waiting || waiting.expired) {
      await answer(INCIDENT_ANSWERS.confirmExpired);
      await restore();
      return;
    }
    if (incident.status !== "open") {
      await answer(INCIDENT_ANSWERS.resolved);
      await restore();
      return;
    }
    if (deps.restarter.isRunning(service.name)) return void (await answer(INCIDENT_ANSWERS.restartRunning(service.name)));
    await answer(INCIDENT_ANSWERS.restarting(service.name));
    await restore();
    const chatId = ctx.chat?.id ?? ctx.callbackQuery.message?.chat.id;
    const replyTo = ctx.callbackQuery.message?.message_id;
    // In the background: a restart may take up to its timeout, and updates are handled one by one.
    void deps.restarter
      .restart(service, actor)
      .then(async (result) => {
        if (chatId === undefined) return;
        const message = renderRestartResult(result, actor);
        await ctx.api.sendMessage(chatId, message.text, {
          ...(replyTo !== undefined ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
        });
      })
      .catch((error: unknown) => {
        if (error instanceof RestartInProgress) return;
        deps.logger.error({ err: error, service: service.name }, "restart or its report failed");
      });
  });
  return composer;
}

type Keyboard = InlineKeyboardButton[][];

/** Edits the pressed message's keyboard, when the change changes anything (Telegram refuses no-op edits). */
async function editKeyboard(ctx: GaiaContext, logger: Logger, change: (keyboard: Keyboard) => Keyboard): Promise<void> {
  const current = ctx.callbackQuery?.message?.reply_markup?.inline_keyboard;
  if (!current) return;
  const next = change(current.map((row) => [...row])).filter((row) => row.length > 0);
  if (JSON.stringify(next) === JSON.stringify(current)) return;
  await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: next } }).catch((error: unknown) => {
    // The keyboard is a convenience: the action itself is done and answered, so a failed edit
    // (message too old, Telegram away) is logged rather than reported as a failed action.
    logger.warn({ err: error }, "could not update an alert's buttons");
  });
}

function findButton(markup: InlineKeyboardMarkup | undefined, data: string): InlineKeyboardButton | undefined {
  return markup?.inline_keyboard.flat().find((button) => "callback_data" in button && button.callback_data === data);
}

function removeButton(keyboard: Keyboard, data: string): Keyboard {
  return keyboard.map((row) => row.filter((button) => !("callback_data" in button) || button.callback_data !== data));
}

function replaceButton(keyboard: Keyboard, data: string, replacement: InlineKeyboardButton[]): Keyboard {
  return keyboard.map((row) => row.flatMap((button) => ("callback_data" in button && button.callback_data === data ? replacement : [button])));
}
