/** The limits of an approval request (CONTRACT section 6), shared by the API and `gaia approve`. */
export const APPROVAL_LIMITS = {
  titleChars: 200,
  detailsChars: 3000,
  requesterChars: 200,
  /** A request waits at most a week: a script blocked longer than that has been forgotten. */
  maxTimeoutSeconds: 7 * 24 * 3600,
} as const;

/** What a script asks for, validated: `timeoutSeconds` is undefined when the default applies. */
export interface ApprovalInput {
  title: string;
  details?: string;
  requester?: string;
  timeoutSeconds?: number;
}

/** One invalid field and what is wrong with it, e.g. `{ field: "title", message: "is required" }`. */
export interface FieldProblem {
  field: string;
  message: string;
}

export type ApprovalInputResult = { ok: true; value: ApprovalInput } | { ok: false, problems: FieldProblem[] };

const KNOWN_FIELDS = new Set(["title", "details", "requester", "timeout"]);

/**
 * Checks the body of `POST /v1/approvals`: `{ title, details?, requester?, timeout? }` with the
 * limits above. Every problem names its field, so a script's author sees all of them at once.
 */
export function validateApprovalInput(body: unknown): ApprovalInputResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ field: "body", message: "must be a JSON object such as {\"title\": \"Push to main\"}" }] };
  }
  const raw = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) problems.push({ field: key, message: "unknown field; known fields are title, details, requester, timeout" });
  }

  const title = raw.title;
  if (title === undefined || title === null) problems.push({ field: "title", message: "is required" });
  else if (typeof title !== "string") problems.push({ field: "title", message: "must be a string" });
  else if (title.trim() === "") problems.push({ field: "title", message: "must not be empty" });
  else if (title.length > APPROVAL_LIMITS.titleChars) problems.push({ field: "title", message: `must be at most ${APPROVAL_LIMITS.titleChars} characters` });

  const details = optionalText(raw, "details", APPROVAL_LIMITS.detailsChars, problems);
  const requester = optionalText(raw, "requester", APPROVAL_LIMITS.requesterChars, problems);

  const timeout = raw.timeout;
  if (timeout !== undefined && timeout !== null) {
    if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > APPROVAL_LIMITS.maxTimeoutSeconds) {
      problems.push({ field: "timeout", message: `must be a whole number of seconds from 1 to ${APPROVAL_LIMITS.maxTimeoutSeconds} (7 days)` });
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      title: (title as string).trim(),
      ...(details !== undefined ? { details } : {}),
      ...(requester !== undefined ? { requester } : {}),
      ...(typeof timeout === "number" ? { timeoutSeconds: timeout } : {}),
    },
  };
}

/** One line naming every problem, as the API's 422 and the CLI print it. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join("; ");
}

function optionalText(raw: Record<string, unknown>, field: string, max: number, problems: FieldProblem[]): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    problems.push({ field, message: "must be a string" });
    return undefined;
  }
  // Counted in UTF-16 units, as Telegram counts a message's length: the longest request still fits one message.
  if (value.length > max) {
    problems.push({ field, message: `must be at most ${max} characters` });
    return undefined;
  }
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}
