import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Scheduler } from "../../jobs/scheduler.js";

const HOUR_MS = 3_600_000;

describe("the scheduler of the features' jobs", () => {
  let scheduler: Scheduler | undefined;
  afterEach(() => scheduler?.stop());

  it("runs the atStart jobs once at start, one after the other in the order declared", async () => {
    scheduler = new Scheduler(pino({ level: "silent" }));
    const order: string[] = [];
    const job = (name: string, atStart: boolean) => ({
      name,
      every: HOUR_MS,
      atStart,
      run: async () => {
        order.push(`${name} begins`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`${name} ends`);
      },
    });
    const backup = { name: "backup", every: HOUR_MS, atStart: "in background" as const, run: () => new Promise<void>((resolve) => setTimeout(resolve, 200)).then(() => void order.push("backup ends")) };
    await scheduler.start([job("heartbeat", true), job("deliver", false), backup, job("probe", true)]);
    // The backup started in the background does not hold up the start.
    expect(order).toEqual(["heartbeat begins", "heartbeat ends", "probe begins", "probe ends"]);
    expect(Object.keys(scheduler.stats())).toEqual(["heartbeat", "deliver", "backup", "probe"]);
  });

  it("keeps a run asked for before the start (an alert queued by the start notice) and runs it at start", async () => {
    scheduler = new Scheduler(pino({ level: "silent" }));
    let delivered = 0;
    scheduler.runSoon("deliver");
    scheduler.runSoon("deliver");
    expect(delivered).toBe(0);
    await scheduler.start([{ name: "deliver", every: HOUR_MS, run: async () => void delivered++ }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(delivered).toBe(1);
    scheduler.runSoon("deliver");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(delivered).toBe(2);
  });

  it("accepts a cron expression as the period, and refuses two jobs of one name and an unknown job", async () => {
    scheduler = new Scheduler(pino({ level: "silent" }));
    const run = async () => undefined;
    const refusing = new Scheduler(pino({ level: "silent" }));
    await expect(
      refusing.start([
        { name: "twice", every: HOUR_MS, run },
        { name: "twice", every: HOUR_MS, run },
      ]),
    ).rejects.toThrow(/scheduled twice/);
    await refusing.stop();
    await scheduler.start([{ name: "rotation.due", every: "0 9 1 * *", run }]);
    expect(scheduler.stats()["rotation.due"].runs).toBe(0);
    expect(() => scheduler!.runSoon("nope")).toThrow(/no job named nope/);
  });

  describe("across a clock jump (a faked one: the wall clock moves, the monotonic clock does not)", () => {
    afterEach(() => vi.useRealTimers());

    /** A logger that keeps the warnings it gets; node-cron's own lines would land here too. */
    function recordingLogger() {
      const warnings: { fields: Record<string, unknown>; message: string }[] = [];
      const logger = pino({ level: "silent" });
      logger.warn = ((fields: Record<string, unknown> | string, message?: string) => {
        warnings.push(typeof fields === "string" ? { fields: {}, message: fields } : { fields, message: message ?? "" });
      }) as typeof logger.warn;
      return { logger, warnings };
    }

    it("logs the cron slots a jump skipped once, through the logger, and runs periodic jobs at their pace, not in a burst", async () => {
      vi.useFakeTimers({ now: new Date("2026-06-01T12:00:00.000Z"), toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] });
      const { logger, warnings } = recordingLogger();
      const stderr = vi.spyOn(console, "warn");
      scheduler = new Scheduler(logger);
      let ticks = 0;
      let probes = 0;
      await scheduler.start([
        { name: "every-second", every: "* * * * * *", run: async () => void ticks++ },
        { name: "probe", every: 15_000, run: async () => void probes++ },
      ]);
      await vi.advanceTimersByTimeAsync(3_000);
      const [ticksBefore, probesBefore] = [ticks, probes];

      // The host is suspended for an hour: the wall clock moves on, timers do not.
      vi.setSystemTime(new Date(Date.now() + HOUR_MS));
      await vi.advanceTimersByTimeAsync(20_000);

      const skipped = warnings.filter((w) => w.fields.job === "every-second");
      expect(skipped).toHaveLength(1);
      expect(skipped[0].fields.missedRuns).toBeGreaterThanOrEqual(3_590);
      expect(skipped[0].message).toMatch(/^job every-second skipped \d+ scheduled runs \(the clock jumped or the host was suspended\)/);
      expect(stderr).not.toHaveBeenCalled(); // node-cron's "missed execution" line, once per slot
      expect(ticks - ticksBefore).toBeLessThan(30); // it goes on from the next slot
      expect(probes - probesBefore).toBe(1); // 20 s at 15 s: one probe, not a catch-up burst

      const jump = warnings.find((w) => "clockJumpMs" in w.fields);
      expect(jump?.message).toBe("the wall clock jumped forward by 1h (a suspend or an NTP step); periodic jobs go on at their pace, cron jobs from their next slot");
      stderr.mockRestore();
    });

    it("keeps periodic jobs running when the clock is set back an hour", async () => {
      vi.useFakeTimers({ now: new Date("2026-06-01T12:00:00.000Z"), toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] });
      const { logger, warnings } = recordingLogger();
      scheduler = new Scheduler(logger);
      let probes = 0;
      await scheduler.start([{ name: "probe", every: 15_000, run: async () => void probes++ }]);
      vi.setSystemTime(new Date(Date.now() - HOUR_MS));
      await vi.advanceTimersByTimeAsync(60_000);
      expect(probes).toBe(4);
      expect(warnings.map((w) => w.message)).toContain("the wall clock jumped back by 1h (a suspend or an NTP step); periodic jobs go on at their pace, cron jobs from their next slot");
    });
  });
});
