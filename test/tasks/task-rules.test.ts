import { describe, expect, it } from "vitest";
import type { TaskConfig } from "../../config/types.js";
import {
  evaluateTask,
  isMuted,
  missedDeadline,
  taskConditionKey,
  type FinishedRun,
  type OpenTaskIncident,
  type TaskDecision,
  type TaskFacts,
  type TaskRuleSettings,
} from "../../tasks/task-rules.js";

const T0 = Date.parse("2026-03-01T00:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const HOUR = 3600;

const backup: TaskConfig = { name: "backup", expectMs: 3_600_000, graceMs: 600_000, timeoutMs: 1_800_000 };
const plain: TaskConfig = { name: "sync" };
const settings: TaskRuleSettings = { remindMs: 3_600_000, mutes: [] };

function run(id: string, status: FinishedRun["status"], endedAtSeconds: number, extra: Partial<FinishedRun> = {}): FinishedRun {
  return {
    id,
    status,
    exitCode: status === "succeeded" ? 0 : status === "timed-out" ? 143 : 3,
    durationMs: 2000,
    endedAt: at(endedAtSeconds),
    outputTail: status === "succeeded" ? "done" : "disk full",
    ...extra,
  };
}

function incident(id: number, condition: string, openedAtSeconds: number, extra: Partial<OpenTaskIncident> = {}): OpenTaskIncident {
  return { id, condition, openedAt: at(openedAtSeconds), lastNotifiedAt: at(openedAtSeconds), announced: true, acknowledged: false, ...extra };
}

function facts(partial: Partial<TaskFacts> = {}): TaskFacts {
  return { task: backup, firstKnownAt: at(0), failuresSinceSuccess: { count: 0 }, open: {}, ...partial };
}

/** The decisions in a compact form for tables: kind, condition/incident, notify. */
function summary(decisions: TaskDecision[]): string[] {
  return decisions.map((d) => {
    switch (d.kind) {
      case "open":
        return `open ${d.condition}${d.notify ? "" : " (silent)"}`;
      case "update":
        return `update #${d.incidentId}`;
      case "resolve":
        return `resolve #${d.incidentId}${d.notify ? "" : " (silent)"}`;
      case "remind":
        return `remind #${d.incidentId}${d.notify ? "" : " (silent)"}`;
    }
  });
}

describe("a task's failed runs", () => {
  const cases: { name: string; facts: TaskFacts; now: number; expected: string[] }[] = [
    { name: "a task that never ran, without expect, is quiet", facts: facts({ task: plain }), now: 10 * HOUR, expected: [] },
    { name: "a good run is quiet", facts: facts({ lastSuccess: run("a", "succeeded", 60), lastFinished: run("a", "succeeded", 60) }), now: 61, expected: [] },
    {
      name: "the first failed run opens a failed incident",
      facts: facts({ lastFinished: run("a", "failed", 60), failuresSinceSuccess: { count: 1, firstEndedAt: at(60) } }),
      now: 61,
      expected: ["open failed"],
    },
    {
      name: "a run stopped by its timeout opens an incident with condition timeout",
      facts: facts({ lastFinished: run("a", "timed-out", 60), failuresSinceSuccess: { count: 1, firstEndedAt: at(60) } }),
      now: 61,
      expected: ["open timeout"],
    },
    {
      name: "a second failure updates the open incident without a new alert",
      facts: facts({ lastFinished: run("b", "failed", 120), failuresSinceSuccess: { count: 2, firstEndedAt: at(60) }, open: { failed: incident(7, "failed", 60, { runId: "a" }) } }),
      now: 121,
      expected: ["update #7"],
    },
    {
      name: "the same failure seen again (a duplicate report) changes nothing",
      facts: facts({ lastFinished: run("a", "failed", 60), failuresSinceSuccess: { count: 1, firstEndedAt: at(60) }, open: { failed: incident(7, "failed", 60, { runId: "a" }) } }),
      now: 61,
      expected: [],
    },
    {
      name: "the next good run resolves it",
      facts: facts({ lastSuccess: run("c", "succeeded", 300), lastFinished: run("c", "succeeded", 300), open: { failed: incident(7, "failed", 60, { runId: "b" }) } }),
      now: 301,
      expected: ["resolve #7"],
    },
    {
      name: "an old failure reported after a newer success (a late spool) opens nothing",
      facts: facts({ lastSuccess: run("c", "succeeded", 300), lastFinished: run("c", "succeeded", 300) }),
      now: 400,
      expected: [],
    },
    {
      name: "recovery of an incident that opened muted and was never announced is silent",
      facts: facts({ lastSuccess: run("c", "succeeded", 300), lastFinished: run("c", "succeeded", 300), open: { failed: incident(7, "failed", 60, { announced: false }) } }),
      now: 301,
      expected: ["resolve #7 (silent)"],
    },
    {
      name: "an open incident whose runs are gone (retention) closes silently",
      facts: facts({ task: plain, open: { failed: incident(7, "failed", 60) } }),
      now: 301,
      expected: ["resolve #7 (silent)"],
    },
  ];
  it.each(cases)("$name", ({ facts: f, now, expected }) => {
    expect(summary(evaluateTask(f, settings, at(now)))).toEqual(expected);
  });

  it("says what failed: exit code, duration, output tail, and how many runs failed in a row", () => {
    const [open] = evaluateTask(
      facts({ lastFinished: run("b", "failed", 120, { exitCode: 3, durationMs: 4200 }), failuresSinceSuccess: { count: 2, firstEndedAt: at(60) } }),
      settings,
      at(121),
    );
    expect(open).toMatchObject({
      kind: "open",
      key: "task:backup:failed",
      task: "backup",
      condition: "failed",
      openedAt: at(60), // the first failure of the streak, not the newest
      muted: false,
      notify: true,
      figures: { runId: "b", exitCode: 3, runDurationMs: 4200, failedRuns: 2, lastSuccessAt: null },
      alert: { condition: "failed", change: "opened", at: at(120), details: ["exit code 3 after 4s", "2 failed runs in a row"], pre: "disk full" },
    });
  });

  it("names the signal of a killed run and the timeout of a stopped one", () => {
    const killed = evaluateTask(facts({ lastFinished: run("a", "failed", 60, { exitCode: 137 }), failuresSinceSuccess: { count: 1 } }), settings, at(61));
    expect(killed[0]).toMatchObject({ alert: { details: ["exit code 137, killed by SIGKILL after 2s"] } });
    const stopped = evaluateTask(facts({ lastFinished: run("a", "timed-out", 60), failuresSinceSuccess: { count: 1 } }), settings, at(61));
    expect(stopped[0]).toMatchObject({ alert: { condition: "timeout", details: ["stopped by its timeout of 30m (exit code 143, killed by SIGTERM)"] } });
  });

  it("resolves with how long the task was failing", () => {
    const [resolve] = evaluateTask(
      facts({ lastSuccess: run("c", "succeeded", 60 + 2 * HOUR), lastFinished: run("c", "succeeded", 60 + 2 * HOUR), open: { failed: incident(7, "failed", 60, { failedRuns: 3 }) } }),
      settings,
      at(61 + 2 * HOUR),
    );
    expect(resolve).toMatchObject({
      kind: "resolve",
      incidentId: 7,
      resolvedAt: at(60 + 2 * HOUR),
      notify: true,
      alert: { condition: "failed", change: "resolved", durationMs: 2 * HOUR * 1000, details: ["had been failing for 2h, 3 failed runs in a row", "this run took 2s"] },
    });
    expect(resolve).not.toHaveProperty("alert.pre");
  });

  it("keeps a muted failure out of the chat but in the records", () => {
    const muted: TaskRuleSettings = { remindMs: 0, mutes: [{ subject: "backup", until: at(1000) }] };
    const [open] = evaluateTask(facts({ lastFinished: run("a", "failed", 60), failuresSinceSuccess: { count: 1 } }), muted, at(61));
    expect(open).toMatchObject({ kind: "open", muted: true, notify: false });
  });
});

describe("a task's missed runs (expect + grace)", () => {
  // backup: expect 1h, grace 10m → missed 70 minutes after the last success (or first sight).
  const cases: { name: string; facts: TaskFacts; now: number; expected: string[] }[] = [
    { name: "never ran, within expect + grace of first sight: quiet", facts: facts(), now: 70 * 60, expected: [] },
    { name: "never ran, past expect + grace of first sight: missed", facts: facts(), now: 70 * 60 + 1, expected: ["open missed"] },
    { name: "ran well recently: quiet", facts: facts({ lastSuccess: run("a", "succeeded", 5 * HOUR), lastFinished: run("a", "succeeded", 5 * HOUR) }), now: 6 * HOUR, expected: [] },
    {
      name: "the last success is older than expect + grace: missed",
      facts: facts({ lastSuccess: run("a", "succeeded", 5 * HOUR), lastFinished: run("a", "succeeded", 5 * HOUR) }),
      now: 5 * HOUR + 70 * 60 + 1,
      expected: ["open missed"],
    },
    {
      name: "failing runs do not count as runs: failed and missed both open",
      facts: facts({ lastFinished: run("b", "failed", 60 * 60), failuresSinceSuccess: { count: 1 } }),
      now: 70 * 60 + 1,
      expected: ["open failed", "open missed"],
    },
    {
      name: "an open missed incident is not opened twice",
      facts: facts({ open: { missed: incident(9, "missed", 70 * 60) } }),
      now: 80 * 60,
      expected: [],
    },
    {
      name: "a good run resolves the missed incident",
      facts: facts({ lastSuccess: run("a", "succeeded", 2 * HOUR), lastFinished: run("a", "succeeded", 2 * HOUR), open: { missed: incident(9, "missed", 70 * 60) } }),
      now: 2 * HOUR + 1,
      expected: ["resolve #9"],
    },
    {
      name: "expect removed from gaia.yml: the missed incident closes silently",
      facts: facts({ task: plain, open: { missed: incident(9, "missed", 70 * 60) } }),
      now: 2 * HOUR,
      expected: ["resolve #9 (silent)"],
    },
    { name: "no expect: never missed", facts: facts({ task: plain }), now: 1000 * HOUR, expected: [] },
  ];
  it.each(cases)("$name", ({ facts: f, now, expected }) => {
    expect(summary(evaluateTask(f, settings, at(now)))).toEqual(expected);
  });

  it("dates the missed incident at the deadline and says since when nothing ran", () => {
    const [open] = evaluateTask(facts({ lastSuccess: run("a", "succeeded", 0), lastFinished: run("a", "succeeded", 0) }), settings, at(2 * HOUR));
    expect(open).toMatchObject({
      kind: "open",
      key: "task:backup:missed",
      condition: "missed",
      openedAt: at(70 * 60),
      figures: { lastSuccessAt: at(0).toISOString(), expectMs: 3_600_000, graceMs: 600_000 },
      alert: {
        condition: "missed",
        change: "opened",
        at: at(2 * HOUR),
        details: ["no successful run for 2h", "expected every 1h, with 10m of grace"],
      },
    });
  });

  it("for a task that never ran, counts from when gaia first knew it", () => {
    const [open] = evaluateTask(facts({ firstKnownAt: at(HOUR) }), settings, at(3 * HOUR));
    expect(open).toMatchObject({ openedAt: at(HOUR + 70 * 60), alert: { details: ["no successful run in the 2h since gaia started watching it", "expected every 1h, with 10m of grace"] } });
    expect(missedDeadline({ task: backup, firstKnownAt: at(HOUR) })).toEqual(at(HOUR + 70 * 60));
    expect(missedDeadline({ task: plain, firstKnownAt: at(HOUR) })).toBeUndefined();
  });

  it("resolves with how late the good run came", () => {
    const [resolve] = evaluateTask(
      facts({ lastSuccess: run("a", "succeeded", 100 * 60), lastFinished: run("a", "succeeded", 100 * 60), open: { missed: incident(9, "missed", 70 * 60) } }),
      settings,
      at(100 * 60 + 5),
    );
    expect(resolve).toMatchObject({ kind: "resolve", notify: true, alert: { change: "resolved", durationMs: 30 * 60 * 1000, details: ["30m after it was due; this run took 2s"] } });
  });
});

describe("reminders of an ongoing task incident", () => {
  const failing = (open: OpenTaskIncident) => facts({ task: plain, lastFinished: run("a", "failed", 60), failuresSinceSuccess: { count: 3 }, open: { failed: { ...open, runId: "a" } } });
  const cases: { name: string; facts: TaskFacts; settings?: TaskRuleSettings; now: number; expected: string[] }[] = [
    { name: "not before remind has passed since the last notice", facts: failing(incident(7, "failed", 60)), now: 60 + HOUR - 1, expected: [] },
    { name: "once remind has passed", facts: failing(incident(7, "failed", 60)), now: 60 + HOUR, expected: ["remind #7"] },
    { name: "counted from the last reminder", facts: failing(incident(7, "failed", 60, { lastNotifiedAt: at(60 + HOUR) })), now: 60 + 2 * HOUR - 1, expected: [] },
    { name: "never once acknowledged", facts: failing(incident(7, "failed", 60, { acknowledged: true })), now: 60 + 5 * HOUR, expected: [] },
    { name: "once at once when the clock went back (the last notice is dated in the future)", facts: failing(incident(7, "failed", 60, { lastNotifiedAt: at(60 + 5 * HOUR) })), now: 60 + HOUR, expected: ["remind #7"] },
    { name: "after a forward jump, once (not once per period passed over)", facts: failing(incident(7, "failed", 60)), now: 60 + 50 * HOUR, expected: ["remind #7"] },
    { name: "never with remind 0", facts: failing(incident(7, "failed", 60)), settings: { remindMs: 0, mutes: [] }, now: 60 + 5 * HOUR, expected: [] },
    {
      name: "silently while muted (the clock moves on)",
      facts: failing(incident(7, "failed", 60)),
      settings: { remindMs: 3_600_000, mutes: [{ subject: "all", until: at(100 * HOUR) }] },
      now: 60 + HOUR,
      expected: ["remind #7 (silent)"],
    },
    {
      name: "a mute that ended no longer silences",
      facts: failing(incident(7, "failed", 60)),
      settings: { remindMs: 3_600_000, mutes: [{ subject: "backup", until: at(HOUR) }] },
      now: 60 + HOUR,
      expected: ["remind #7"],
    },
    {
      name: "for a missed run too",
      facts: facts({ open: { missed: incident(9, "missed", 70 * 60) } }),
      now: 70 * 60 + HOUR,
      expected: ["remind #9"],
    },
    {
      name: "not for an incident the same evaluation resolves",
      facts: facts({ lastSuccess: run("c", "succeeded", 5 * HOUR), lastFinished: run("c", "succeeded", 5 * HOUR), open: { failed: incident(7, "failed", 60) } }),
      now: 5 * HOUR + 1,
      expected: ["resolve #7"],
    },
  ];
  it.each(cases)("$name", ({ facts: f, settings: s, now, expected }) => {
    expect(summary(evaluateTask(f, s ?? settings, at(now)))).toEqual(expected);
  });

  it("says how long it has been failing (in the headline), with the last run and its output", () => {
    const [reminder] = evaluateTask(failing(incident(7, "failed", 60)), settings, at(60 + 2 * HOUR));
    expect(reminder).toMatchObject({
      kind: "remind",
      incidentId: 7,
      alert: { condition: "failed", change: "reminder", durationMs: 2 * HOUR * 1000, details: ["exit code 3 after 2s", "3 failed runs in a row"], pre: "disk full" },
    });
  });
});

describe("mutes and keys", () => {
  it("a task is muted by its own name or all, until the mute ends", () => {
    const mutes = [{ subject: "backup", until: at(100) }, { subject: "other", until: at(1000) }];
    expect(isMuted("backup", { mutes }, at(99))).toBe(true);
    expect(isMuted("backup", { mutes }, at(100))).toBe(false);
    expect(isMuted("sync", { mutes }, at(50))).toBe(false);
    expect(isMuted("sync", { mutes: [{ subject: "all", until: at(100) }] }, at(50))).toBe(true);
  });

  it("keys name the task and the condition", () => {
    expect(taskConditionKey("backup", "failed")).toBe("task:backup:failed");
    expect(taskConditionKey("backup", "missed")).toBe("task:backup:missed");
  });
});
