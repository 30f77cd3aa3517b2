import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { Registry } from "prom-client";
import type { DataSource } from "typeorm";
import { registerApprovalMetrics } from "../../approvals/approval-metrics.js";
import { ApprovalRequests } from "../../approvals/approval-requests.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { openDatabase } from "../../entities/data-source.js";
import { makeTempHome } from "../helpers/temp-home.js";

describe("approval metrics for /metrics", () => {
  let home: ReturnType<typeof makeTempHome>;
  let dataSource: DataSource;

  beforeEach(async () => {
    home = makeTempHome();
    ({ dataSource } = await openDatabase(join(home.home, "gaia.db")));
  });

  afterEach(async () => {
    await dataSource.destroy();
    home.cleanup();
  });

  it("counts requests created and settled by outcome, the decision time, and those pending now", async () => {
    let clock = Date.parse("2026-11-25T12:00:00.000Z");
    const now = () => new Date(clock);
    const requests = new ApprovalRequests({ dataSource, audit: new AuditTrail(dataSource, now), defaultTimeoutMs: 600_000, now });
    const registry = new Registry();
    registerApprovalMetrics(registry, requests);

    const a = await requests.create({ title: "A" });
    await requests.create({ title: "B", timeoutSeconds: 60 });
    await requests.create({ title: "C" });
    clock += 42_000;
    await requests.decide(a.id, "approved", { actor: "telegram:1", label: "Alice (1)" });
    clock += 60_000;
    await requests.expireDue();

    const text = await registry.metrics();
    expect(text).toContain("gaia_approvals_created_total 3");
    expect(text).toContain('gaia_approvals_settled_total{outcome="approved"} 1');
    expect(text).toContain('gaia_approvals_settled_total{outcome="expired"} 1');
    expect(text).toContain('gaia_approval_decision_seconds_sum{outcome="approved"} 42');
    expect(text).toContain('gaia_approval_decision_seconds_bucket{le="60",outcome="approved"} 1');
    expect(text).toContain("gaia_approvals_pending 1");
    requests.close();
  });
});
