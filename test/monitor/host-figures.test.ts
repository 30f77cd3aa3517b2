import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { freemem, tmpdir, totalmem, uptime } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  parseBootTime,
  parseMemoryUsage,
  portableBootTime,
  readDiskUsage,
  readHostFigures,
  readMemoryUsage,
} from "../../monitor/host-figures.js";

const home = mkdtempSync(join(tmpdir(), "gaia-home-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const MEMINFO = `MemTotal:        8000000 kB
MemFree:          500000 kB
MemAvailable:    2000000 kB
Buffers:          100000 kB
Cached:          1400000 kB
`;

describe("memory in use", () => {
  it("counts available memory (cache included) as free, like free(1)", () => {
    expect(parseMemoryUsage(MEMINFO)).toEqual({
      usedBytes: 6_000_000 * 1024,
      totalBytes: 8_000_000 * 1024,
      percent: 75,
    });
  });

  it("has no answer for a kernel without MemAvailable, and falls back to the OS figures", () => {
    expect(parseMemoryUsage("MemTotal: 100 kB\nMemFree: 50 kB\n")).toBeUndefined();
    const fallback = readMemoryUsage("/nonexistent");
    expect(fallback.totalBytes).toBe(totalmem());
    expect(Math.abs(fallback.usedBytes - (totalmem() - freemem()))).toBeLessThan(64 * 1024 * 1024);
  });

  it("reads the real /proc/meminfo within the machine's total", () => {
    const real = readMemoryUsage("/proc");
    expect(real.totalBytes).toBeGreaterThan(totalmem() * 0.9);
    expect(real.totalBytes).toBeLessThanOrEqual(totalmem() * 1.1);
    expect(real.percent).toBeGreaterThan(0);
    expect(real.percent).toBeLessThan(100);
  });
});

describe("disk in use of the home folder's filesystem", () => {
  it("agrees with df's Use% (used over used + available to users)", () => {
    const disk = readDiskUsage(home);
    const fs = statfsSync(home);
    expect(disk.totalBytes).toBe(fs.blocks * fs.bsize);
    expect(disk.usedBytes).toBe((fs.blocks - fs.bfree) * fs.bsize);
    // df rounds its percentage up to a whole number.
    const df = execFileSync("df", ["-P", home], { encoding: "utf8" }).trim().split("\n")[1].split(/\s+/);
    const dfPercent = Number(df[4].replace("%", ""));
    expect(Math.ceil(disk.percent)).toBeGreaterThanOrEqual(dfPercent - 1);
    expect(Math.ceil(disk.percent)).toBeLessThanOrEqual(dfPercent + 1);
  });

  it("fails loudly for a home folder that does not exist", () => {
    expect(() => readDiskUsage(join(home, "missing"))).toThrow(/ENOENT/);
  });
});

describe("boot time, for noticing that the host rebooted", () => {
  it("comes from btime in /proc/stat", () => {
    expect(parseBootTime("cpu 1 2 3 4\nbtime 1700000000\nprocesses 5\n")).toEqual(new Date(1_700_000_000_000));
    expect(parseBootTime("cpu 1 2 3 4\n")).toBeUndefined();
  });

  it("agrees with now minus uptime, on /proc and without it", async () => {
    const { readFileSync } = await import("node:fs");
    const fromProc = parseBootTime(readFileSync("/proc/stat", "latin1"))!;
    const expected = Date.now() - uptime() * 1000;
    expect(Math.abs(fromProc.getTime() - expected)).toBeLessThan(2000);
    expect(Math.abs(portableBootTime(Date.now()).getTime() - expected)).toBeLessThan(2000);
  });
});

describe("all host figures together", () => {
  it("reports CPU as given, memory, disk, load, uptime and boot time", () => {
    const procStat = "cpu 1 2 3 4\nbtime 1700000000\n";
    const figures = readHostFigures({ procRoot: "/proc", procStat, diskPath: home, cpuPercent: 42, takenAt: Date.now() });
    expect(figures.cpuPercent).toBe(42);
    expect(figures.memoryTotalBytes).toBeGreaterThan(0);
    expect(figures.memoryPercent).toBeCloseTo((figures.memoryUsedBytes / figures.memoryTotalBytes) * 100);
    expect(figures.diskTotalBytes).toBeGreaterThan(0);
    expect(figures.load).toHaveLength(3);
    expect(figures.uptimeSeconds).toBeGreaterThan(0);
    expect(figures.bootTime).toEqual(new Date(1_700_000_000_000));
    const portable = readHostFigures({ procRoot: undefined, diskPath: home, cpuPercent: 1, takenAt: Date.now() });
    expect(Math.abs(portable.bootTime.getTime() - (Date.now() - uptime() * 1000))).toBeLessThan(2000);
  });
});
