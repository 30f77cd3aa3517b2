import type { ApprovalRequests } from "../approvals/approval-requests.js";
import type { ApprovalMessages } from "../bot/approval-messages.js";

/**
 * Marks the pending approval requests past their expiry as expired, then edits the messages of
 * every settled request that does not show its outcome yet (expired now, or decided while
 * Telegram was unreachable).
 */
export function expireApprovalsJob(options: { requests: ApprovalRequests; messages: ApprovalMessages }): () => Promise<void> {
  return async () => {
    await options.requests.expireDue();
    await options.messages.showOutcomes();
  };
}
