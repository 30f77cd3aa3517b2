import type { RotationNotice } from "../../alerts/alert.js";
import { escapeHtml, html, type RenderedMessage } from "./html.js";

/** Callback data of the buttons on rotation notices (sent through the outbox, so plain data: see bot/features/rotate.ts). */
export const ROTATION_NOTICE_DATA = /^rot:(start|snooze|resume|rollback)(?::(\d{1,9}))?$/;

export function rotationNoticeButton(action: "start" | "snooze" | "resume" | "rollback", rotationId?: number): string {
  return rotationId === undefined ? `rot:${action}` : `rot:${action}:${rotationId}`;
}

function day(iso: string): string {
  return iso.replace("T", " ").replace(/:\d{2}(\.\d+)?Z$/, " UTC");
}

/** A rotation notice from the outbox: due (Start rotation / Snooze 1 day), interrupted (Resume / Roll back), outcomes, expiry. */
export function renderRotationNotice(notice: RotationNotice): RenderedMessage {
  const id = notice.rotationId !== undefined ? ` #${notice.rotationId}` : "";
  switch (notice.event) {
    case "due":
      return {
        text: [
          "🔑 <b>GitHub token rotation is due</b>",
          notice.identity === "pat"
            ? "You will create a new token on GitHub and paste it here; gaia checks it, writes it to the stores, tests it and revokes the old one."
            : "Gaia will mint a new installation token, write it to the stores, test it and revoke the old one.",
        ].join("\n"),
        reply_markup: {
          inline_keyboard: [[
            { text: "Start rotation", callback_data: rotationNoticeButton("start") },
            { text: "Snooze 1 day", callback_data: rotationNoticeButton("snooze") },
          ]],
        },
      };
    case "interrupted":
      return {
        text: [
          html`⚠️ <b>Rotation${id} was interrupted by a restart</b> (after step ${notice.step ?? "?"}).`,
          html`The new token ${notice.newFingerprint ?? ""} is staged; nothing was written to the stores yet and the old token still works.`,
          "Resume it, or roll it back (the old token stays).",
        ].join("\n"),
        reply_markup: {
          inline_keyboard: [[
            { text: "Resume", callback_data: rotationNoticeButton("resume", notice.rotationId) },
            { text: "Roll back", callback_data: rotationNoticeButton("rollback", notice.rotationId) },
          ]],
        },
      };
    case "resumed":
      return {
        text: [
          html`✅ <b>Rotation${id} resumed after a restart and finished</b>`,
          html`${notice.newFingerprint ?? "The new token"} is now the current token; ${notice.oldFingerprint ?? "the old one"} was revoked.`,
          ...(notice.reason ? [html`⚠️ ${notice.reason}`] : []),
        ].join("\n"),
      };
    case "done":
      return {
        text: [
          html`✅ <b>Token rotation${id} done</b>`,
          html`${notice.newFingerprint ?? "The new token"} is now the current token` + (notice.oldFingerprint ? html`; ${notice.oldFingerprint} was revoked.` : "."),
          ...(notice.reason ? [html`⚠️ ${notice.reason}`] : []),
        ].join("\n"),
      };
    case "rolled-back":
      return {
        text: [
          html`❌ <b>Token rotation${id} rolled back</b>`,
          html`${notice.reason ?? "It did not finish."}`,
          notice.oldFingerprint ? html`The old token ${notice.oldFingerprint} is still the current one and was not revoked.` : "Nothing was changed.",
        ].join("\n"),
      };
    case "expiring":
      return {
        text: [
          html`⏳ <b>The GitHub token expires ${day(notice.expiresAt ?? "")}</b>`,
          html`${notice.oldFingerprint ?? ""} stops working then. Rotate it before: /rotate`,
        ].join("\n"),
      };
  }
}

/**
 * The answer to /rotate without a `github:` section.
 */
export function renderRotationUnavailable(configured: boolean): RenderedMessage {
  const lines = configured
    ? ["<b>Token rotation is not available right now.</b>"]
    : ["<b>Token rotation is off:</b> gaia.yml has no <code>github:</code> section.", "Add one (see README, Token rotation) and restart gaia."];
  return { text: lines.join("\n") };
}

/** The answer to /cancel when no guided flow is running. */
export function renderNothingToCancel(): RenderedMessage {
  return { text: "Nothing to cancel." };
}

/** Answers to the notice buttons. */
export const ROTATION_BUTTON_ANSWERS = {
  snoozed: (until: string) => `Snoozed until ${day(until)}.`,
  gone: "That rotation is no longer in progress.",
  busy: "A rotation is already in progress.",
  off: "Token rotation is off.",
};

export { escapeHtml };
