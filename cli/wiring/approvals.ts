import { hostname } from "node:os";
import { approvalRoutes } from "../../api/approval-routes.js";
import { registerApprovalMetrics } from "../../approvals/approval-metrics.js";
import { ApprovalRequests } from "../../approvals/approval-requests.js";
import { ApprovalMessages } from "../../bot/approval-messages.js";
import { NextRun } from "../../jobs/next-run.js";
import { expireApprovalsJob } from "../../jobs/expire-approvals.js";
import { postApprovalsJob } from "../../jobs/post-approvals.js";
import type { CoreServices, FeatureWiring } from "../feature.js";

const POST_JOB = "approvals.post";
const EXPIRE_JOB = "approvals.expire";
/** While a post or an edit waits for Telegram, it is tried again this soon. */
const RETRY_MS = 5_000;
/**
 * The safety sweep of both jobs. They run when a request is stored or settled, when the next one
 * runs out and while Telegram is retried, so an idle monitor does not query gaia.db every few
 * seconds for approvals that do not exist; the sweep catches what no event announced (a clock
 * that jumped, a row written by another gaia on a shared PostgreSQL).
 */
const SWEEP_EVERY_MS = 60_000;

/**
 * Approvals: `POST /v1/approvals` stores a request, a job posts it to `telegram.chat` with
 * Approve / Deny buttons, a press decides it, and a job expires what nobody decided.
 */
export function wireApprovals(core: CoreServices): FeatureWiring {
  const { config, dataSource, audit, logger, now } = core;
  const host = hostname();
  const requests = new ApprovalRequests({ dataSource, audit, defaultTimeoutMs: config.settings.approvals.timeoutMs, now });
  const messages = new ApprovalMessages({ requests, api: core.api, chatId: config.settings.telegram.chat, host, audit, logger, now });

  // A new request is posted (and its expiry timed), and a settled one's message edited, at once.
  const nextPost = new NextRun(() => core.scheduler.runSoon(POST_JOB));
  const nextExpiry = new NextRun(() => core.scheduler.runSoon(EXPIRE_JOB));
  requests.onCreated(() => {
    core.scheduler.runSoon(POST_JOB);
    core.scheduler.runSoon(EXPIRE_JOB);
  });
  requests.onSettled(() => core.scheduler.runSoon(EXPIRE_JOB));
  registerApprovalMetrics(core.metrics, requests);

  return {
    chat: { approvals: { requests, messages, audit, logger, host, now } },
    routes: [approvalRoutes(requests)],
    // After a restart: expire what ran out meanwhile, then post what never reached Telegram.
    jobs: [
      { name: EXPIRE_JOB, every: SWEEP_EVERY_MS, run: expireApprovalsJob({ requests, messages, now, runAgainIn: (ms) => nextExpiry.in(ms), retryMs: RETRY_MS }), atStart: true },
      { name: POST_JOB, every: SWEEP_EVERY_MS, run: postApprovalsJob({ messages, runAgainIn: (ms) => nextPost.in(ms), retryMs: RETRY_MS }), atStart: true },
    ],
    async stop() {
      nextPost.cancel();
      nextExpiry.cancel();
      // Waiting API clients get "pending" at once and retry; they keep waiting across the restart.
      requests.close();
    },
  };
}
