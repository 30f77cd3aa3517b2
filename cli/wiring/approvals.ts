import { hostname } from "node:os";
import { approvalRoutes } from "../../api/approval-routes.js";
import { registerApprovalMetrics } from "../../approvals/approval-metrics.js";
import { ApprovalRequests } from "../../approvals/approval-requests.js";
import { ApprovalMessages } from "../../bot/approval-messages.js";
import { expireApprovalsJob } from "../../jobs/expire-approvals.js";
import { postApprovalsJob } from "../../jobs/post-approvals.js";
import type { CoreServices, FeatureWiring } from "../feature.js";

const POST_JOB = "approvals.post";
const EXPIRE_JOB = "approvals.expire";
/** How often unposted requests are retried and expiries are looked for; both are cheap queries. */
const EVERY_MS = 5_000;

/**
 * Approvals: `POST /v1/approvals` stores a request, a job posts it to `telegram.chat` with
 * Approve / Deny buttons, a press decides it, and a job expires what nobody decided.
 */
export function wireApprovals(core: CoreServices): FeatureWiring {
  const { config, dataSource, audit, logger, now } = core;
  const host = hostname();
  const requests = new ApprovalRequests({ dataSource, audit, defaultTimeoutMs: config.settings.approvals.timeoutMs, now });
  const messages = new ApprovalMessages({ requests, api: core.api, chatId: config.settings.telegram.chat, host, audit, logger, now });

  // A new request is posted, and a settled one's message edited, at once rather than on the next tick.
  requests.onCreated(() => core.scheduler.runSoon(POST_JOB));
  requests.onSettled(() => core.scheduler.runSoon(EXPIRE_JOB));
  registerApprovalMetrics(core.metrics, requests);

  return {
    chat: { approvals: { requests, messages, audit, logger, host, now } },
    routes: [approvalRoutes(requests)],
    // After a restart: expire what ran out meanwhile, then post what never reached Telegram.
    jobs: [
      { name: EXPIRE_JOB, every: EVERY_MS, run: expireApprovalsJob({ requests, messages }), atStart: true },
      { name: POST_JOB, every: EVERY_MS, run: postApprovalsJob(messages), atStart: true },
    ],
    async stop() {
      // Waiting API clients get "pending" at once and retry; they keep waiting across the restart.
      requests.close();
    },
  };
}
