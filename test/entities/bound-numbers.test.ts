import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Sample } from "../../entities/sample.js";
import { OutboxMessage } from "../../entities/outbox-message.js";
import { SampleRecorder } from "../../queries/sample-recorder.js";
import type { Snapshot } from "../../monitor/snapshot.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { tempDatabase } from "../helpers/temp-database.js";

/** Counts the statements better-sqlite3 compiles on the DataSource's connection from now on. */
function countPrepares(dataSource: { driver: unknown }): { texts: Set<string>; count: () => number } {
  const connection = (dataSource.driver as { databaseConnection: { prepare(sql: string): unknown } }).databaseConnection;
  const prepare = connection.prepare.bind(connection);
  const texts = new Set<string>();
  let count = 0;
  connection.prepare = (sql: string) => {
    count++;
    texts.add(sql);
    return prepare(sql);
  };
  return { texts, count: () => count };
}

function snapshot(at: Date, cpu: number, memory: number, services: { name: string; cpu: number; memory: number }[]): Snapshot {
  return {
    at,
    host: { cpuPercent: cpu, memoryPercent: memory, diskPercent: 21.83 },
    services: services.map((s) => ({ name: s.name, up: true, cpuPercent: s.cpu, memoryPercent: s.memory })),
  } as unknown as Snapshot;
}

describe("gaia.db's statements", () => {
  const defer = deferCleanups();

  it("are compiled once for an hour of samples with changing figures, not once per write", async () => {
    const db = await tempDatabase();
    defer(() => db.close());
    const prepares = countPrepares(db.dataSource);
    const recorder = new SampleRecorder({ dataSource: db.dataSource, probeEveryMs: 15_000 });
    const start = Date.parse("2026-12-01T00:00:00.000Z");
    // 240 probes = one hour: 240 host rows and 60 rows for each of 3 services, every figure new.
    for (let i = 0; i < 240; i++) {
      await recorder.record(snapshot(new Date(start + i * 15_000), 10 + i / 7, 40 + i / 13, [
        { name: "agent", cpu: i / 3, memory: 1 + i / 11 },
        { name: "db", cpu: i / 5, memory: 2 + i / 17 },
        { name: "web", cpu: i / 9, memory: 3 + i / 19 },
      ]));
    }
    expect(await db.dataSource.getRepository(Sample).count()).toBe(240 + 3 * 60);
    // One insert of the host's row alone, one of the host's with the services', and TypeORM's
    // read-back of the generated columns for each of those two shapes: a handful, not hundreds.
    expect(prepares.count()).toBeLessThanOrEqual(6);
    expect([...prepares.texts].join("\n")).not.toMatch(/\d+\.\d+/);
  });

  it("keep numbers as SQLite stored them when they were written into the SQL: whole numbers as integers, others as reals", async () => {
    const db = await tempDatabase();
    defer(() => db.close());
    const at = new Date("2026-12-01T10:00:00.000Z");
    await db.dataSource.getRepository(Sample).insert([{ at, subject: "host", cpu: 67.48, memory: 7, disk: null }]);
    const outbox = db.dataSource.getRepository(OutboxMessage);
    const saved = await outbox.save(outbox.create({ createdAt: at, dueAt: at, kind: "alert", payload: { n: 1 }, chatId: -1001234567890 }));
    await outbox.update({ id: saved.id }, { attempts: 3, telegramMessageId: 9007199254740991 });
    expect(await outbox.findOneByOrFail({ id: saved.id })).toMatchObject({ attempts: 3, chatId: -1001234567890 });
    await db.dataSource.destroy();

    const raw = new Database(db.file, { readonly: true });
    defer(() => raw.close());
    expect(raw.prepare(`SELECT typeof(cpu) AS cpu, typeof(memory) AS memory, typeof(disk) AS disk, cpu AS value FROM samples`).get()).toEqual({ cpu: "real", memory: "real", disk: "null", value: 67.48 });
    raw.defaultSafeIntegers(true);
    expect(raw.prepare(`SELECT typeof(attempts) AS t, "chatId" AS chat, "telegramMessageId" AS message FROM outbox`).get()).toEqual({ t: "integer", chat: -1001234567890n, message: 9007199254740991n });
  });
});
