import { describe, expect, it, vi } from "vitest";
import { BackgroundChecks, realTimers, STALE_AFTER_PERIODS, type BackgroundCheck } from "../../monitor/background-checks.js";
import { ManualTimers, settle } from "./manual-timers.js";

const PERIOD = 1_000;
const DEADLINE = 3_000;

/** A check whose runs the test answers by hand: each run waits until `answer` or never. */
function handCheck(name = "web") {
  const runs: { startedAt: number; answer: (value: string) => void }[] = [];
  let timers: ManualTimers | undefined;
  const check: BackgroundCheck<string> = {
    name,
    deadlineMs: DEADLINE,
    run: () => new Promise<string>((resolve) => runs.push({ startedAt: timers!.now(), answer: resolve })),
  };
  return { check, runs, useTimers: (t: ManualTimers) => (timers = t) };
}

function setUp() {
  const timers = new ManualTimers();
  const hand = handCheck();
  hand.useTimers(timers);
  const checks = new BackgroundChecks([hand.check], PERIOD, timers);
  return { timers, checks, runs: hand.runs };
}

describe("checks in the background", () => {
  it("reads 'not checked yet' until the first answer, then the latest answer with its age, each run a period after the last began", async () => {
    const { timers, checks, runs } = setUp();
    expect(checks.read("web")).toEqual({ kind: "unchecked" });
    checks.start();
    expect(runs).toHaveLength(1);
    await timers.advance(200);
    expect(checks.read("web")).toEqual({ kind: "unchecked" });
    runs[0].answer("up");
    await settle();
    const answeredAt = timers.now();
    await timers.advance(300);
    expect(checks.read("web")).toEqual({ kind: "result", result: "up", completedAt: answeredAt, ageMs: 300 });
    // The next run starts one period after the first one started, not after it ended.
    await timers.advance(PERIOD - 500 - 1);
    expect(runs).toHaveLength(1);
    await timers.advance(1);
    expect(runs).toHaveLength(2);
    expect(runs[1].startedAt - runs[0].startedAt).toBe(PERIOD);
    // While it runs, the previous answer is still the one read.
    expect(checks.read("web")).toMatchObject({ kind: "result", result: "up" });
    runs[1].answer("down");
    await settle();
    expect(checks.read("web")).toMatchObject({ kind: "result", result: "down", ageMs: 0 });
    expect(checks.read("other")).toBeUndefined();
  });

  it("keeps one run in flight for a check that hangs, and reads it as no answer once past its deadline", async () => {
    const { timers, checks, runs } = setUp();
    checks.start();
    runs[0].answer("up");
    await timers.advance(PERIOD);
    expect(runs).toHaveLength(2); // this one never answers
    await timers.advance(DEADLINE);
    expect(checks.read("web")).toMatchObject({ kind: "result", result: "up" });
    await timers.advance(1);
    // Past the deadline: no answer, with the deadline and the last answer there was.
    expect(checks.read("web")).toMatchObject({ kind: "no-answer", deadlineMs: DEADLINE, result: "up" });
    // Ten periods on, still one run in flight: a hung endpoint holds one socket, not ten.
    await timers.advance(10 * PERIOD);
    expect(runs).toHaveLength(2);
    expect(checks.read("web")).toMatchObject({ kind: "no-answer" });
    // When it answers at last, the schedule goes on from there.
    runs[1].answer("up again");
    await settle();
    expect(checks.read("web")).toMatchObject({ kind: "result", result: "up again" });
    expect(timers.waiting).toBe(1);
    await timers.advance(0);
    expect(runs).toHaveLength(3);
  });

  it("reads a first run that hangs past its deadline as no answer, not as 'not checked yet'", async () => {
    const { timers, checks } = setUp();
    checks.start();
    await timers.advance(DEADLINE);
    expect(checks.read("web")).toEqual({ kind: "unchecked" });
    await timers.advance(1);
    expect(checks.read("web")).toEqual({ kind: "no-answer", deadlineMs: DEADLINE });
  });

  it("reads an answer older than a few periods past the deadline as no answer (the checks stopped running)", async () => {
    const { timers, checks, runs } = setUp();
    checks.start();
    runs[0].answer("up");
    await settle();
    checks.stop();
    const stale = DEADLINE + STALE_AFTER_PERIODS * PERIOD;
    await timers.advance(stale);
    expect(checks.read("web")).toMatchObject({ kind: "result", result: "up", ageMs: stale });
    await timers.advance(1);
    expect(checks.read("web")).toMatchObject({ kind: "no-answer", result: "up" });
    expect(runs).toHaveLength(1);
    expect(timers.waiting).toBe(0);
  });

  it("runs each check once and waits for the answers when asked (gaia check)", async () => {
    const timers = new ManualTimers();
    const a = handCheck("a");
    const b = handCheck("b");
    a.useTimers(timers);
    b.useTimers(timers);
    const checks = new BackgroundChecks([a.check, b.check], PERIOD, timers);
    let done = false;
    const once = checks.runOnce().then(() => (done = true));
    await settle();
    expect([a.runs.length, b.runs.length]).toEqual([1, 1]);
    a.runs[0].answer("a up");
    await settle();
    expect(done).toBe(false);
    b.runs[0].answer("b up");
    await once;
    expect(checks.read("a")).toMatchObject({ kind: "result", result: "a up" });
    expect(checks.read("b")).toMatchObject({ kind: "result", result: "b up" });
    expect(timers.waiting).toBe(0); // nothing scheduled: a one-off
  });

  it("ages results on the monotonic clock, which a wall clock jump (NTP after a power cut) does not move", () => {
    // A jump of the wall clock cannot be made in a test; what can be checked is which clock the
    // ages come from: one that advances with performance.now() and not with Date.now().
    const before = realTimers.now();
    const monotonic = performance.now();
    const ahead = vi.spyOn(performance, "now").mockReturnValue(monotonic + 3_600_000);
    try {
      expect(realTimers.now() - before).toBeGreaterThanOrEqual(3_600_000);
    } finally {
      ahead.mockRestore();
    }
    expect(Math.abs(realTimers.now() - Date.now())).toBeLessThan(60_000); // still epoch milliseconds (checkedAt)
  });
});
