import type { ApprovalMessages } from "../bot/approval-messages.js";

/**
 * Posts the approval requests that have no Telegram message yet. Run right after a request is
 * stored, and every few seconds, so that a request stored while Telegram was down goes out later.
 */
export function postApprovalsJob(messages: ApprovalMessages): () => Promise<void> {
  return () => messages.postUnposted();
}
