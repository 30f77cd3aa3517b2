import type { RotationNotice } from "../../alerts/alert.js";
import { rotationNoticeButton } from "../callback-data.js";
import { html, type RenderedMessage } from "./html.js";

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

/** The words on the /rotate flow's buttons (its menus are built in bot/features/rotate.ts). */
export const ROTATION_BUTTONS = { start: "Start", cancel: "Cancel", confirm: "Confirm" } as const;

/** A token's facts as the flow shows them (plain data: it passes through the conversation's log). */
export interface TokenFactsView {
  fingerprint: string;
  login: string;
  kind: string;
  scopes: string[] | null;
  permissions?: Record<string, string>;
  expiresAt: string | null;
}

/** What /rotate shows first. */
export interface RotationPlanView {
  identity: "pat" | "app";
  repository?: string;
  stores: string[];
  current?: TokenFactsView;
  /** Why the current token's facts could not be read. */
  currentError?: string;
  warnings: string[];
  /** GITHUB_TOKEN comes from gaia's process environment, which wins over .private/.env at the next start. */
  tokenFromProcessEnvironment?: boolean;
}

const KIND_NAMES: Record<string, string> = {
  classic: "classic personal access token",
  "fine-grained": "fine-grained personal access token",
  installation: "GitHub App installation token",
  unknown: "token",
};

function factLines(facts: TokenFactsView): string[] {
  const lines = [html`Account: <b>${facts.login}</b>`, html`Token: ${facts.fingerprint}, ${KIND_NAMES[facts.kind] ?? facts.kind}`];
  if (facts.scopes) lines.push(html`Scopes: ${facts.scopes.length ? facts.scopes.join(", ") : "none"}`);
  else if (facts.permissions) lines.push(html`Permissions: ${Object.entries(facts.permissions).map(([n, l]) => `${n}: ${l}`).join(", ")}`);
  else if (facts.kind === "fine-grained") lines.push("Permissions: as set on GitHub's token page (GitHub does not tell them by API)");
  lines.push(facts.expiresAt ? html`Expires: ${day(facts.expiresAt)}` : "Expires: never");
  return lines;
}

function warningLines(warnings: readonly string[]): string[] {
  return warnings.map((w) => html`⚠️ ${w}`);
}

/** The flow's first message: the identity, the current token's facts, least-privilege warnings and the plan. */
export function renderRotationPlan(plan: RotationPlanView): RenderedMessage {
  const lines = [html`🔑 <b>Rotate the GitHub token</b> (identity ${plan.identity})`];
  if (plan.current) lines.push(...factLines(plan.current));
  else lines.push(html`Current token: ${plan.currentError ?? "none configured"}`);
  lines.push(...warningLines(plan.warnings));
  if (plan.tokenFromProcessEnvironment) {
    lines.push("⚠️ GITHUB_TOKEN is set in gaia's process environment, which wins over .private/.env: after the rotation, remove it there, or gaia restarts with the old (revoked) token.");
  }
  lines.push("", "<b>Plan</b>");
  lines.push(
    plan.identity === "pat" ? "1. You create a new token on GitHub and paste it here (the message is deleted at once)." : "1. Gaia mints a new installation token.",
    "2. Gaia checks it belongs to the same account, and shows it for your confirmation.",
    html`3. It is written to: ${plan.stores.join(", ")}.`,
    html`4. Smoke test: a read of ${plan.repository ?? "the account"} with the token as stored.`,
    "5. Only then is the old token revoked, and checked dead.",
  );
  return { text: lines.join("\n") };
}

/** The prompt to create and paste a new PAT. */
export function renderPasteToken(tokenPageUrl: string, login: string | undefined): RenderedMessage {
  return {
    text: [
      "<b>Create the new token</b>",
      html`Open <a href="${tokenPageUrl}">GitHub's token page</a>` + (login ? html` signed in as <b>${login}</b>` : "") + ", create a fine-grained token for the repository only (Contents: read), then paste it here.",
      "The message with the token is deleted as soon as gaia has read it. /cancel stops.",
    ].join("\n"),
  };
}

/** A reply that holds no token while one is awaited: help, not an error. */
export function renderNotAToken(): RenderedMessage {
  return {
    text: "That does not look like a GitHub token. Paste the whole token (it starts with <code>github_pat_</code> or <code>ghp_</code>), or send /cancel to stop.",
  };
}

/** A text while the flow waits for a button. */
export function renderNotAChoice(labels: readonly string[]): RenderedMessage {
  return { text: `Press ${labels.join(" or ")} above, or send /cancel.` };
}

/** The new token's facts, for the admin's Confirm / Cancel. */
export function renderVerification(facts: TokenFactsView, warnings: readonly string[]): RenderedMessage {
  return { text: ["✅ <b>New token verified</b>", ...factLines(facts), ...warningLines(warnings), "", "Confirm to write it to the stores, test it and revoke the old token."].join("\n") };
}

/** The steps of the progress message, with their labels. */
const PROGRESS_STEPS: { step: string; label: string }[] = [
  { step: "stored", label: "Write the new token to the stores" },
  { step: "smoke-tested", label: "Smoke test with the stored token" },
  { step: "old-revoked", label: "Revoke the old token" },
  { step: "old-dead", label: "Check the old token is dead" },
  { step: "done", label: "Done" },
];
const STEP_ORDER = ["requested", "staged", "verified", "approved", "stored", "smoke-tested", "old-revoked", "old-dead", "done"];

/** The one progress message, edited as each step runs: ✅ done, ⏳ running, ❌ failed. */
export function renderRotationProgress(progress: { step: string; failed?: string }): RenderedMessage {
  const at = STEP_ORDER.indexOf(progress.step);
  let current = true;
  const lines = ["<b>Rotating…</b>"];
  for (const { step, label } of PROGRESS_STEPS) {
    if (STEP_ORDER.indexOf(step) <= at) lines.push(html`✅ ${label}`);
    else if (current) {
      lines.push(progress.failed ? html`❌ ${label}` : html`⏳ ${label}`);
      current = false;
    } else lines.push(html`▫️ ${label}`);
  }
  if (progress.failed) lines.push(html`${progress.failed}`);
  return { text: lines.join("\n") };
}

/** The flow's last message. */
export function renderRotationSummary(summary: { outcome: string; rotationId: number; newFingerprint?: string; oldFingerprint?: string; warning?: string; reason?: string }): RenderedMessage {
  if (summary.outcome === "done") {
    return {
      text: [
        html`✅ <b>Rotation #${summary.rotationId} done</b>`,
        html`Current token: ${summary.newFingerprint ?? "?"}.` + (summary.oldFingerprint ? html` Old token ${summary.oldFingerprint} revoked.` : ""),
        ...(summary.warning ? [html`⚠️ ${summary.warning}`] : []),
      ].join("\n"),
    };
  }
  return {
    text: [
      html`❌ <b>Rotation #${summary.rotationId} rolled back</b>`,
      html`${summary.reason ?? "It did not finish."}`,
      "Nothing changed: the old token is still in the stores and was not revoked.",
    ].join("\n"),
  };
}

/** A new token refused at verification (wrong account, invalid): nothing changed. */
export function renderTokenRefused(reason: string): RenderedMessage {
  return { text: [html`❌ <b>Token refused:</b> ${reason}.`, "Nothing changed; the old token still works. /rotate to try again."].join("\n") };
}

/** /rotate while a rotation is in progress, or another failure before anything changed. */
export function renderRotationProblem(reason: string): RenderedMessage {
  return { text: html`⚠️ ${reason}` };
}

/** /cancel inside the flow. */
export function renderRotationCancelled(rolledBack: boolean): RenderedMessage {
  return { text: rolledBack ? "Rotation cancelled; nothing changed and the old token still works." : "Rotation cancelled." };
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
  resumed: "Resuming the rotation…",
  rolledBack: "Rolled back.",
  starting: "Starting…",
  snoozed: (until: string) => `Snoozed until ${day(until)}.`,
  gone: "That rotation is no longer in progress.",
  busy: "A rotation is already in progress.",
  off: "Token rotation is off.",
};
