import { statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Sample } from "../../entities/sample.js";
import { SampleRecorder } from "../../queries/sample-recorder.js";
import { manualClock, tempDatabase } from "../helpers/temp-database.js";
import { fakeSnapshot } from "../monitor/fake-snapshot.js";

describe("samples kept for sparklines", () => {
  let db: Awaited<ReturnType<typeof tempDatabase>> | undefined;
  afterEach(() => db?.close());

  it("averages the host over 15 s and each service over a minute; a down service has no figures", async () => {
    db = await tempDatabase();
    const clock = manualClock();
    const recorder = new SampleRecorder({ dataSource: db.dataSource, probeEveryMs: 5000 });
    const cpu = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];
    for (const value of cpu) {
      clock.advance(5000);
      await recorder.record(
        fakeSnapshot({ at: clock.now(), host: { cpuPercent: value, memoryPercent: 50, diskPercent: 70 }, services: [{ name: "agent", cpuPercent: value }, { name: "db", up: false }] }),
      );
    }
    const rows = await db.dataSource.getRepository(Sample).find({ order: { id: "ASC" } });
    const host = rows.filter((r) => r.subject === "host");
    expect(host.map((r) => r.cpu)).toEqual([20, 50, 80, 110]);
    expect(host.every((r) => r.memory === 50 && r.disk === 70)).toBe(true);
    expect(rows.filter((r) => r.subject === "agent").map((r) => r.cpu)).toEqual([65]);
    expect(rows.filter((r) => r.subject === "db").map((r) => [r.cpu, r.memory])).toEqual([[null, null]]);
  });

  it("grows gaia.db by less than 5 MB a day with 20 services at the default 15 s probe", async () => {
    db = await tempDatabase();
    const clock = manualClock();
    const recorder = new SampleRecorder({ dataSource: db.dataSource, probeEveryMs: 15_000 });
    const services = Array.from({ length: 20 }, (_, i) => ({ name: `service-${i}`, cpuPercent: 1.2345 + i, memoryPercent: 3.21 + i }));
    const sizeOf = () => statSync(db!.file).size + (statSync(`${db!.file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    await db.dataSource.query("PRAGMA wal_checkpoint(TRUNCATE)");
    const before = sizeOf();
    const hour = 3600_000 / 15_000;
    for (let i = 0; i < hour; i++) {
      clock.advance(15_000);
      await recorder.record(fakeSnapshot({ at: clock.now(), host: { cpuPercent: (i * 7) % 100 }, services }));
    }
    await db.dataSource.query("PRAGMA wal_checkpoint(TRUNCATE)");
    const perDay = (sizeOf() - before) * 24;
    expect(await db.dataSource.getRepository(Sample).count()).toBe(hour + 20 * 60);
    expect(perDay).toBeLessThan(5 * 1024 * 1024);
  });
});
