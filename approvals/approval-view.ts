import type { ApprovalRequest } from "../entities/approval-request.js";

/** The longest a `GET /v1/approvals/:id?wait=` may hold the connection (CONTRACT section 6). */
export const MAX_WAIT_SECONDS = 60;

/** One approval request as the local API shows it (`POST` answers the first three fields). */
export interface ApprovalView {
  id: string;
  status: "pending" | "approved" | "denied" | "expired";
  title: string;
  expiresAt: string;
  decidedBy?: string;
  decidedAt?: string;
}

/** The API's JSON of a stored request: ISO 8601 times, no empty fields. */
export function approvalView(request: ApprovalRequest): ApprovalView {
  return {
    id: request.id,
    status: request.status as ApprovalView["status"],
    title: request.title,
    expiresAt: request.expiresAt.toISOString(),
    ...(request.decidedBy ? { decidedBy: request.decidedBy } : {}),
    ...(request.decidedAt ? { decidedAt: request.decidedAt.toISOString() } : {}),
  };
}
