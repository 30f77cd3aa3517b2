import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
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
});
