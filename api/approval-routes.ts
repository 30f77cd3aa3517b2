import { describeProblems, validateApprovalInput } from "../approvals/approval-input.js";
import type { ApprovalRequests } from "../approvals/approval-requests.js";
import { approvalView, MAX_WAIT_SECONDS } from "../approvals/approval-view.js";
import { ApiAnswer } from "./api-answer.js";
import { ApiError } from "./api-error.js";
import type { ApiRoutes } from "./router.js";

/**
 * `POST /v1/approvals` stores a request (its Telegram message follows from a job, so a Telegram
 * outage never loses it) and answers 201 `{ id, status, expiresAt }`; `GET /v1/approvals/:id`
 * answers its state, holding the connection up to `?wait=` seconds until it is decided.
 */
export function approvalRoutes(requests: ApprovalRequests): ApiRoutes {
  return (router) => {
    router.post("/v1/approvals", async (request) => {
      const input = validateApprovalInput(request.body);
      if (!input.ok) throw new ApiError(422, `invalid request: ${describeProblems(input.problems)}`);
      const created = await requests.create(input.value, "api");
      return ApiAnswer.json(201, { id: created.id, status: created.status, expiresAt: created.expiresAt.toISOString() });
    });

    router.get("/v1/approvals/:id", async (request) => {
      const id = request.params.id;
      const waitSeconds = parseWait(request.query.getAll("wait").at(-1));
      // A client that hangs up ends the wait (request.signal).
      const found = await requests.waitForSettlement(id, waitSeconds * 1000, request.signal);
      if (!found) throw new ApiError(404, `no approval request with id ${JSON.stringify(id.slice(0, 64))}`);
      return approvalView(found);
    });
  };
}

function parseWait(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  const seconds = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(seconds) || seconds > MAX_WAIT_SECONDS) {
    throw new ApiError(422, `invalid query: wait: must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
  }
  return seconds;
}
