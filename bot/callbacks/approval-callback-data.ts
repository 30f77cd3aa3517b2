import { APPROVAL_ID_PATTERN, type Decision } from "../../approvals/approval-requests.js";

const PREFIX = "apr";
const CODES: Record<Decision, string> = { approved: "y", denied: "n" };

/** The callback data of an Approve or Deny button: `apr:y:<id>` or `apr:n:<id>` (22 bytes). */
export function approvalCallbackData(decision: Decision, id: string): string {
  return `${PREFIX}:${CODES[decision]}:${id}`;
}

/**
 * Reads a button's callback data back; undefined for anything that is not exactly what
 * `approvalCallbackData` writes (callback data comes from the client and is not trusted).
 */
export function parseApprovalCallbackData(data: string): { decision: Decision; id: string } | undefined {
  const match = /^apr:([yn]):([^:]+)$/.exec(data);
  if (!match || !APPROVAL_ID_PATTERN.test(match[2])) return undefined;
  return { decision: match[1] === "y" ? "approved" : "denied", id: match[2] };
}

/** Matches every button of this feature, valid or not, so that a malformed one is answered here. */
export const APPROVAL_CALLBACK_PREFIX = /^apr:/;
