import type { ApprovalRequests } from "../approvals/approval-requests.js";
import type { ApprovalMessages } from "../bot/approval-messages.js";

/**
 * Marks the pending approval requests past their expiry as expired, then edits the messages of
 * every settled request that does not show its outcome yet (expired now, or decided while
 * Telegram was unreachable). It asks to run again when the next pending request runs out, and
 * soon while an edit waits for Telegram, so that between requests it does not query gaia.db at
 * all but for the wiring's slow safety sweep.
 */
export function expireApprovalsJob(options: {
  requests: ApprovalRequests;
  messages: ApprovalMessages;
  now: () => Date;
  runAgainIn: (ms: number) => void;
  retryMs: number;
}): () => Promise<void> {
  return async () => {
    await options.requests.expireDue();
    if (!(await options.messages.showOutcomes())) options.runAgainIn(options.retryMs);
    const next = await options.requests.nextExpiry();
    if (next) options.runAgainIn(Math.max(0, next.getTime() - options.now().getTime()));
  };
}
