import { formatDuration } from "../../config/durations.js";
import { approvalButton } from "../callback-data.js";
import { formatZonedDateTime } from "./figures.js";
import { html, type RenderedMessage } from "./html.js";

/** What an approval message shows; an `ApprovalRequest` row fits. */
export interface ApprovalCard {
  id: string;
  title: string;
  details: string | null;
  requester: string | null;
  status: string;
  createdAt: Date;
  expiresAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
}

// The API caps title, details and requester; these caps keep any row within one message anyway.
const TITLE_MAX = 200;
const DETAILS_MAX = 3000;
const REQUESTER_MAX = 200;
const HOST_MAX = 100;

/**
 * A pending request with its Approve and Deny buttons: title, details, who asks from which host,
 * and when it expires. Every value is escaped, so `<b>` in a title shows as typed.
 */
export function renderApprovalRequest(card: ApprovalCard, context: { host: string; now: Date }): RenderedMessage {
  const left = card.expiresAt.getTime() - context.now.getTime();
  const lines = [
    "🔐 <b>Approval requested</b>",
    ...body(card, context.host),
    html`Expires ${formatZonedDateTime(card.expiresAt)} (in ${formatDuration(Math.max(0, left))})`,
  ];
  return {
    text: lines.join("\n"),
    reply_markup: {
      inline_keyboard: [[
        { text: "✅ Approve", callback_data: approvalButton("approved", card.id) },
        { text: "❌ Deny", callback_data: approvalButton("denied", card.id) },
      ]],
    },
  };
}

/** A decided or expired request: the outcome, who decided and when, and no buttons. */
export function renderApprovalOutcome(card: ApprovalCard, context: { host: string }): RenderedMessage {
  return { text: [outcomeLine(card), ...body(card, context.host)].join("\n") };
}

/** The head of `/approvals`: how many requests wait, and how many follow as messages. */
export function renderPendingApprovals(total: number, shown: number): RenderedMessage {
  if (total === 0) return { text: "No approval request is waiting for a decision." };
  const head = total === 1 ? "<b>1 approval request</b> is waiting for a decision:" : html`<b>${total} approval requests</b> are waiting for a decision:`;
  return { text: shown < total ? `${head}\n${html`The oldest ${shown} follow; decide those to see the others.`}` : head };
}

/**
 * The short answer to a press on an Approve or Deny button (plain text, at most 200 characters):
 * what the press did, or what had already happened to the request.
 */
export function renderPressAnswer(
  outcome: { kind: "decided" | "already"; request: ApprovalCard } | { kind: "unknown" } | { kind: "malformed" },
): string {
  switch (outcome.kind) {
    case "decided":
      return outcome.request.status === "approved" ? "Approved." : "Denied.";
    case "already": {
      const { request } = outcome;
      if (request.status === "expired") return `This request expired at ${formatZonedDateTime(request.expiresAt)}.`;
      const verb = request.status === "approved" ? "approved" : "denied";
      return truncate(`Already ${verb} by ${request.decidedBy ?? "someone"} at ${request.decidedAt ? formatZonedDateTime(request.decidedAt) : "an earlier time"}.`, 200);
    }
    case "unknown":
      return "This approval request no longer exists.";
    case "malformed":
      return "This button is not valid.";
  }
}

function outcomeLine(card: ApprovalCard): string {
  const when = card.decidedAt ? formatZonedDateTime(card.decidedAt) : "";
  switch (card.status) {
    case "approved":
      return html`✅ <b>Approved</b> by ${card.decidedBy ?? "an admin"} at ${when}`;
    case "denied":
      return html`❌ <b>Denied</b> by ${card.decidedBy ?? "an admin"} at ${when}`;
    case "expired":
      return html`⌛ <b>Expired</b> at ${formatZonedDateTime(card.expiresAt)} without a decision`;
    default:
      return "🔐 <b>Approval requested</b>";
  }
}

function body(card: ApprovalCard, host: string): string[] {
  const lines = [html`<b>${truncate(card.title, TITLE_MAX)}</b>`];
  if (card.details) lines.push(html`${truncate(card.details, DETAILS_MAX)}`);
  lines.push("");
  lines.push(html`Requested by ${truncate(card.requester ?? "a local script", REQUESTER_MAX)} on ${truncate(host, HOST_MAX)} at ${formatZonedDateTime(card.createdAt)}`);
  return lines;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
