import { describe, expect, it } from "vitest";
import { renderDigest } from "../../../bot/render/digest.js";

describe("daily digest message", () => {
  it("names incidents, downtime, failed runs, approvals and peaks, escaping every value", () => {
    const text = renderDigest({
      from: "2026-03-01T08:00:00Z",
      to: "2026-03-02T08:00:00Z",
      incidents: [{ subject: "agent", subjectKind: "service", condition: "down", openedAt: "2026-03-01T10:00:00Z", resolvedAt: "2026-03-01T10:05:00Z" }],
      downtime: [{ service: "agent", ms: 300_000 }],
      failedRuns: [{ task: "backup<1>", status: "failed", exitCode: 2, startedAt: "2026-03-01T03:00:00Z" }],
      runs: 3,
      approvals: { approved: 1, denied: 0, expired: 1 },
      hostPeaks: { cpu: 93.2, memory: 50, disk: null },
    });
    expect(text).toContain("<b>Incidents</b> (1)");
    expect(text).toContain("resolved after 5m");
    expect(text).toContain("• agent: 5m");
    expect(text).toContain("backup&lt;1&gt;");
    expect(text).toContain("(exit code 2)");
    expect(text).toContain("<b>Approvals</b>: 1 approved, 0 denied, 1 expired");
    expect(text).toMatch(/<b>Host peaks<\/b>: CPU 93%?.*memory 50/);
  });
});
