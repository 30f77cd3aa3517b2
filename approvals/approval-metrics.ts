import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ApprovalRequests } from "./approval-requests.js";

/**
 * The approval counters of `GET /metrics`: requests created, settled by outcome, the time a
 * decision took, and how many wait now (counted in gaia.db when scraped). Registered in the
 * registry passed in, never prom-client's global one.
 */
export function registerApprovalMetrics(registry: Registry, requests: ApprovalRequests): void {
  const registers = [registry];
  const created = new Counter({ name: "gaia_approvals_created_total", help: "Approval requests created", registers });
  const settled = new Counter({
    name: "gaia_approvals_settled_total",
    help: "Approval requests settled, by outcome (approved, denied, expired)",
    labelNames: ["outcome"],
    registers,
  });
  const decisionSeconds = new Histogram({
    name: "gaia_approval_decision_seconds",
    help: "Time from an approval request to its decision by an admin",
    labelNames: ["outcome"],
    buckets: [5, 15, 30, 60, 120, 300, 900, 3600, 4 * 3600, 86400],
    registers,
  });
  new Gauge({
    name: "gaia_approvals_pending",
    help: "Approval requests waiting for a decision",
    registers,
    async collect() {
      this.set((await requests.pending()).length);
    },
  });
  // Every outcome's series exists at 0 from the start, so that rate() sees the first one.
  for (const outcome of ["approved", "denied", "expired"]) settled.inc({ outcome }, 0);
  requests.onCreated(() => created.inc());
  requests.onSettled((request) => {
    settled.inc({ outcome: request.status });
    if (request.decidedAt) {
      decisionSeconds.observe({ outcome: request.status }, (request.decidedAt.getTime() - request.createdAt.getTime()) / 1000);
    }
  });
}
