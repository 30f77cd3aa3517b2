/**
 * The facts of the daily digest (`digest:` in gaia.yml): the last day's incidents, downtime per
 * service, failed task runs, approvals, and the host's peaks, read from gaia.db. Facts only:
 * `bot/render/digest.ts` words them.
 */
import { Between, MoreThan, type DataSource } from "typeorm";
import type { DigestNotice } from "../alerts/alert.js";
import { ApprovalRequest } from "../entities/approval-request.js";
import { Incident } from "../entities/incident.js";
import { Sample } from "../entities/sample.js";
import { TaskRun } from "../entities/task-run.js";

const DAY_MS = 86_400_000;

/** What happened in the 24 hours before `now`; `quiet` when nothing did (no incident, failed run or approval). */
export async function collectDigest(dataSource: DataSource, now: Date): Promise<DigestNotice & { quiet: boolean }> {
  const since = new Date(now.getTime() - DAY_MS);
  const [opened, stillOpenBefore, runs, approvals, samples] = await Promise.all([
    dataSource.getRepository(Incident).findBy({ openedAt: Between(since, now) }),
    // Incidents opened earlier that were open during the day count for downtime too.
    dataSource.getRepository(Incident).find({ where: [{ status: "open" }, { resolvedAt: MoreThan(since) }] }),
    dataSource.getRepository(TaskRun).findBy({ startedAt: Between(since, now) }),
    dataSource.getRepository(ApprovalRequest).findBy({ createdAt: Between(since, now) }),
    dataSource.getRepository(Sample).findBy({ subject: "host", at: Between(since, now) }),
  ]);
  const downtime = new Map<string, number>();
  const seen = new Set<number>();
  for (const incident of [...opened, ...stillOpenBefore]) {
    if (seen.has(incident.id)) continue;
    seen.add(incident.id);
    if (incident.subjectKind !== "service" || incident.condition !== "down") continue;
    const from = Math.max(incident.openedAt.getTime(), since.getTime());
    const to = Math.min(incident.resolvedAt?.getTime() ?? now.getTime(), now.getTime());
    if (to > from) downtime.set(incident.subjectName, (downtime.get(incident.subjectName) ?? 0) + (to - from));
  }
  const failed = runs.filter((r) => r.status === "failed" || r.status === "timed-out" || r.status === "lost");
  const peak = (values: (number | null)[]) => values.reduce<number | null>((max, v) => (v !== null && (max === null || v > max) ? v : max), null);
  const notice: DigestNotice = {
    from: since.toISOString(),
    to: now.toISOString(),
    incidents: opened
      .sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime())
      .map((i) => ({ subject: i.subjectName, subjectKind: i.subjectKind, condition: i.condition, openedAt: i.openedAt.toISOString(), resolvedAt: i.resolvedAt?.toISOString() ?? null })),
    downtime: [...downtime].map(([service, ms]) => ({ service, ms })).sort((a, b) => b.ms - a.ms),
    failedRuns: failed.map((r) => ({ task: r.task, status: r.status, exitCode: r.exitCode, startedAt: r.startedAt.toISOString() })),
    runs: runs.length,
    approvals: {
      approved: approvals.filter((a) => a.status === "approved").length,
      denied: approvals.filter((a) => a.status === "denied").length,
      expired: approvals.filter((a) => a.status === "expired").length,
    },
    hostPeaks: { cpu: peak(samples.map((s) => s.cpu)), memory: peak(samples.map((s) => s.memory)), disk: peak(samples.map((s) => s.disk)) },
  };
  const quiet = notice.incidents.length === 0 && notice.failedRuns.length === 0 && approvals.length === 0 && notice.downtime.length === 0;
  return { ...notice, quiet };
}
