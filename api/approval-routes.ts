import { describeProblems, validateApprovalInput } from "../approvals/approval-input.js";
import type { ApprovalRequests } from "../approvals/approval-requests.js";
import { approvalView, MAX_WAIT_SECONDS } from "../approvals/approval-view.js";
import { ApiError } from "./api-error.js";
import type { ApiRoutes } from "./server.js";

/**
 * `POST /v1/approvals` stores a request (its Telegram message follows from a job, so a Telegram
 * outage never loses it) and answers 201 `{ id, status, expiresAt }`; `GET /v1/approvals/:id`
 * answers its state, holding the connection up to `?wait=` seconds until it is decided.
 */
export function approvalRoutes(requests: ApprovalRequests): ApiRoutes {
  return (app) => {
    app.post("/v1/approvals", async (request, reply) => {
      const input = validateApprovalInput(request.body);
      if (!input.ok) throw new ApiError(422, `invalid request: ${describeProblems(input.problems)}`);
      const created = await requests.create(input.value, "api");
      return reply.status(201).send({ id: created.id, status: created.status, expiresAt: created.expiresAt.toISOString() });
    });

    app.get("/v1/approvals/:id", async (request, reply) => {
      const { id } = request.params as { id: string };
      const waitSeconds = parseWait((request.query as Record<string, unknown>).wait);
      // A client that hangs up ends the wait ("close" also follows a normal response: nothing left to abort then).
      const hangUp = new AbortController();
      reply.raw.once("close", () => hangUp.abort());
      const found = await requests.waitForSettlement(id, waitSeconds * 1000, hangUp.signal);
      if (!found) throw new ApiError(404, `no approval request with id ${JSON.stringify(id.slice(0, 64))}`);
      return approvalView(found);
    });
  };
}

function parseWait(raw: unknown): number {
  if (raw === undefined || raw === "") return 0;
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  const seconds = typeof text === "string" && /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(seconds) || seconds > MAX_WAIT_SECONDS) {
    throw new ApiError(422, `invalid query: wait: must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
  }
  return seconds;
}
