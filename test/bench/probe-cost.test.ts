import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { countScansAndSpawns } from "../../bench/probe-cost.js";
import type { Probe } from "../../monitor/probe.js";
import type { Snapshot } from "../../monitor/snapshot.js";

/** A stand-in probe that does, per sample, exactly the work the benchmark must see. */
function probeThat(work: () => Promise<void>): Probe {
  return { stats: { scans: 0, fastCycles: 0, spawns: 0, fdScans: 0 }, sample: async () => (await work(), {} as Snapshot) };
}

describe("counting what a probe cycle costs", () => {
  it("sees every listing of /proc and every child process, however the probe imports them", async () => {
    const probe = probeThat(async () => {
      readdirSync("/proc");
      await readdir("/proc/");
      readdirSync("/tmp"); // not a process-table scan
      execFileSync("true");
      const child = spawn("true");
      await once(child, "exit");
    });
    const counts = await countScansAndSpawns(probe, 3);
    expect(counts.scansPerCycle).toBe(2);
    expect(counts.spawnsPerCycle).toBe(2);
  });

  it("counts nothing for a probe that only reads files, and puts the functions back", async () => {
    const counts = await countScansAndSpawns(probeThat(async () => void readdirSync("/tmp")), 2);
    expect(counts).toMatchObject({ scansPerCycle: 0, spawnsPerCycle: 0 });
    // Unwrapped again: a spawn after the count goes unnoticed by it and works as usual.
    expect(execFileSync("echo", ["ok"]).toString().trim()).toBe("ok");
  });
});
