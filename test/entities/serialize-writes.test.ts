import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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
});
