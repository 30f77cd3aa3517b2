import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createProbe } from "../../monitor/probe.js";
import type { Snapshot } from "../../monitor/snapshot.js";
import { TopSampler } from "../../monitor/top-sampler.js";
import { startCpuBurner, stopAllChildren } from "./child-processes.js";

const home = mkdtempSync(join(tmpdir(), "gaia-top-home-"));
afterEach(stopAllChildren);
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A clock and a probe that only count: enough to see when the sampler samples and waits. */
function scripted() {
  let clock = 1_000_000;
  const samples: number[] = [];
  const sleeps: number[] = [];
  const snapshot = (): Snapshot => ({
    at: new Date(clock),
    host: { cpuPercent: 1, memoryPercent: 2, memoryUsedBytes: 2, memoryTotalBytes: 100, diskPercent: 3, diskUsedBytes: 3, diskTotalBytes: 100, load: [0, 0, 0], uptimeSeconds: 1, bootTime: new Date(0) },
    services: [],
    topProcesses: (by, n) => [{ pid: 1, name: by, commandLine: "", cpuPercent: 0, memoryBytes: 0, memoryPercent: 0 }].slice(0, n),
  });
  const sampler = new TopSampler({
    cores: 2,
    sample: async () => {
      samples.push(clock);
      return snapshot();
    },
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  return { sampler, samples, sleeps, advance: (ms: number) => (clock += ms) };
}

describe("sampling processes for /top", () => {
  it("takes a baseline and a sample a second apart on first use, and after a long pause", async () => {
    const { sampler, samples, sleeps, advance } = scripted();
    const first = await sampler.view("cpu", 5);
    expect(samples).toEqual([1_000_000, 1_001_000]);
    expect(sleeps).toEqual([1000]);
    expect(first.windowMs).toBe(1000);
    expect(first.processes[0].name).toBe("cpu");

    advance(4000); // a Refresh a few seconds later: the previous sample is a fine baseline
    const second = await sampler.view("memory", 5);
    expect(samples).toHaveLength(3);
    expect(second.windowMs).toBe(4000);
    expect(second.processes[0].name).toBe("memory");

    advance(300); // pressed again at once: waits to make the window a second long
    expect((await sampler.view("cpu", 5)).windowMs).toBe(1000);
    expect(sleeps).toEqual([1000, 700]);

    advance(60_000); // a minute later the old sample is stale: a fresh baseline
    expect((await sampler.view("cpu", 5)).windowMs).toBe(1000);
    expect(samples).toHaveLength(6);
  });

  it("serves requests one at a time, since each sample moves the baseline", async () => {
    const { sampler, samples } = scripted();
    const views = await Promise.all([sampler.view("cpu", 1), sampler.view("cpu", 1), sampler.view("memory", 1)]);
    expect(views.map((v) => v.windowMs)).toEqual([1000, 1000, 1000]);
    expect(samples).toEqual([1_000_000, 1_001_000, 1_002_000, 1_003_000]);
  });

  it("ranks a process burning a core first, near 100% of one core rather than its lifetime average", async () => {
    const burner = await startCpuBurner();
    const probe = createProbe({ homeDir: home, services: [], selfPid: process.pid });
    const sampler = new TopSampler({ sample: () => probe.sample(), cores: availableParallelism() });
    const view = await sampler.view("cpu", 10);
    expect(view.processes[0].pid).toBe(burner.pid);
    expect(view.processes[0].cpuPercent).toBeGreaterThanOrEqual(50);
    expect(view.processes[0].commandLine).toContain(burner.token);
    expect(view.windowMs).toBeGreaterThanOrEqual(1000);
  });
});
