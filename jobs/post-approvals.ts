import type { ApprovalMessages } from "../bot/approval-messages.js";

/**
 * Posts the approval requests that have no Telegram message yet. Run right after a request is
 * stored; while one is left (Telegram was down), again after `retryMs`, so that it goes out soon
 * after Telegram is back, and otherwise only on the wiring's slow safety sweep.
 */
export function postApprovalsJob(options: { messages: ApprovalMessages; runAgainIn: (ms: number) => void; retryMs: number }): () => Promise<void> {
  return async () => {
    if (!(await options.messages.postUnposted())) options.runAgainIn(options.retryMs);
  };
}
