import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { databaseTrouble } from "../../entities/database-trouble.js";
import { openDatabase } from "../../entities/data-source.js";
import { StateEntry } from "../../entities/state-entry.js";
import { makeTempHome } from "../helpers/temp-home.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("gaia.db under concurrent work (one SQLite connection)", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  async function database() {
    const home = makeTempHome();
    homes.push(home);
    return (await openDatabase(join(home.home, "gaia.db"))).dataSource;
  }

  it("runs overlapping transactions one after the other, and a rollback undoes only its own writes", async () => {
    const dataSource = await database();
    const order: string[] = [];
    const transaction = (name: string, fail = false) =>
      dataSource.transaction(async (manager) => {
        order.push(`${name} begins`);
        await manager.getRepository(StateEntry).save({ key: name, value: 1, updatedAt: new Date() });
        await pause(30);
        await manager.getRepository(StateEntry).save({ key: `${name}-2`, value: 2, updatedAt: new Date() });
        order.push(`${name} ends`);
        if (fail) throw new Error(`${name} failed`);
      });
    const write = (key: string) => dataSource.getRepository(StateEntry).save({ key, value: 0, updatedAt: new Date() });
    const results = await Promise.allSettled([write("w0"), transaction("a", true), write("w1"), transaction("b"), write("w2"), transaction("c")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
    expect(order).toEqual(["a begins", "a ends", "b begins", "b ends", "c begins", "c ends"]);
    const keys = (await dataSource.getRepository(StateEntry).find()).map((row) => row.key).sort();
    expect(keys).toEqual(["b", "b-2", "c", "c-2", "w0", "w1", "w2"]);
    await dataSource.destroy();
  });

  it("lets work inside a transaction write and nest without waiting for itself", async () => {
    const dataSource = await database();
    await dataSource.transaction(async () => {
      // The root repository and a nested transaction, from inside: they join, never deadlock.
      await dataSource.getRepository(StateEntry).save({ key: "inner", value: 1, updatedAt: new Date() });
      await dataSource.transaction((nested) => nested.getRepository(StateEntry).save({ key: "nested", value: 1, updatedAt: new Date() }));
    });
    expect((await dataSource.getRepository(StateEntry).find()).map((row) => row.key).sort()).toEqual(["inner", "nested"]);
    await dataSource.destroy();
  });

  it("after a write fails on a full disk, later transactions still commit (TypeORM's idea of the transaction is put right)", async () => {
    const home = makeTempHome();
    homes.push(home);
    const file = join(home.home, "gaia.db");
    const outcomes: unknown[] = [];
    const { dataSource } = await openDatabase(file, { onOutcome: (error) => outcomes.push(error) });
    const connection = (dataSource.driver as unknown as { databaseConnection: { pragma(sql: string, o?: object): unknown } }).databaseConnection;
    const pages = connection.pragma("page_count", { simple: true }) as number;
    // The disk is "full": gaia.db may not grow.
    connection.pragma(`max_page_count = ${pages}`);
    const big = "x".repeat(20_000);
    const full = await dataSource
      .transaction(async (manager) => {
        for (let i = 0; i < 20; i++) await manager.getRepository(StateEntry).save({ key: `big${i}`, value: big, updatedAt: new Date() });
      })
      .catch((error: unknown) => error);
    expect(databaseTrouble(full)).toBe("full");
    expect(databaseTrouble(outcomes.at(-1))).toBe("full");
    connection.pragma("max_page_count = 1000000");
    // A transaction that fails for its own reasons, then one that succeeds.
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.getRepository(StateEntry).save({ key: "undone", value: 1, updatedAt: new Date() });
        throw new Error("changed its mind");
      }),
    ).rejects.toThrow("changed its mind");
    await dataSource.transaction((manager) => manager.getRepository(StateEntry).save({ key: "kept", value: 1, updatedAt: new Date() }));
    expect(outcomes.at(-1)).toBeUndefined();
    await dataSource.destroy();
    const reopened = (await openDatabase(file)).dataSource;
    expect((await reopened.getRepository(StateEntry).find()).map((row) => row.key)).toEqual(["kept"]);
    await reopened.destroy();
  });

  it("waits for a lock another process holds without blocking the event loop, then writes", async () => {
    const home = makeTempHome();
    homes.push(home);
    const file = join(home.home, "gaia.db");
    const { dataSource } = await openDatabase(file, { lockWaitMs: 20_000 });
    const holder = spawn(
      process.execPath,
      ["-e", `const db = new (require(${JSON.stringify(createRequire(import.meta.url).resolve("better-sqlite3"))}))(${JSON.stringify(file)}); db.exec("BEGIN EXCLUSIVE; CREATE TABLE held (x)"); console.log("holding"); process.stdin.once("data", () => { db.exec("COMMIT"); process.exit(0); });`],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
    let written = false;
    const write = dataSource.getRepository(StateEntry).save({ key: "waited", value: 1, updatedAt: new Date() }).then(() => (written = true));
    // While the other process holds the lock, timers keep firing: the wait is not a blocking one.
    let ticks = 0;
    while (ticks < 20) {
      await pause(20);
      ticks++;
    }
    expect(written).toBe(false);
    holder.stdin!.write("go\n");
    await write;
    expect((await dataSource.getRepository(StateEntry).findOneBy({ key: "waited" }))?.value).toBe(1);
    await dataSource.destroy();
  });

  it("makes query-builder writes take their turn too, so another transaction's rollback cannot take them along", async () => {
    const dataSource = await database();
    await dataSource.getRepository(StateEntry).save({ key: "request", value: "pending", updatedAt: new Date() });
    const failing = dataSource.transaction(async (manager) => {
      await manager.getRepository(StateEntry).save({ key: "probe", value: 1, updatedAt: new Date() });
      await pause(50);
      throw new Error("the probe's transaction rolls back");
    });
    await pause(5);
    // Like approvals' decide(): a conditional UPDATE through the query builder, while the probe's transaction is open.
    const decided = dataSource
      .createQueryBuilder()
      .update(StateEntry)
      .set({ value: "approved" })
      .where("key = :key", { key: "request" })
      .execute();
    const [probe, decision] = await Promise.allSettled([failing, decided]);
    expect(probe.status).toBe("rejected");
    expect(decision.status).toBe("fulfilled");
    const rows = await dataSource.getRepository(StateEntry).find();
    expect(rows.map((row) => [row.key, row.value])).toEqual([["request", "approved"]]);
    await dataSource.destroy();
  });
});
