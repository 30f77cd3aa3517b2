import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import {
  hostCpuPercent,
  parseHostCpuTimes,
  portableHostCpuTimes,
  processCpuPercents,
  readHostCpuTimes,
} from "../../monitor/cpu-usage.js";
import { type ProcessInfo, type ProcessTable, readProcessTable } from "../../monitor/process-table.js";
import { createFakeProc } from "./fake-proc.js";
import { sleep, startCpuBurner, startIdleChild, stopAllChildren } from "./child-processes.js";

afterAll(stopAllChildren);

function table(takenAt: number, uptimeTicks: number, processes: Array<Partial<ProcessInfo> & { pid: number }>): ProcessTable {
  return {
    takenAt,
    clockTicks: 100,
    uptimeTicks,
    processes: new Map(
      processes.map((p) => [
        p.pid,
        { ppid: 1, name: "p", state: "S", cpuTicks: 0, startTicks: 0, rssBytes: 0, ...p },
      ]),
    ),
  };
}

describe("CPU % of each process between two snapshots", () => {
  it("is the CPU ticks used during the interval over its wall time, as % of one core", () => {
    const before = table(10_000, 5000, [
      { pid: 1, cpuTicks: 1000, startTicks: 10 },
      { pid: 2, cpuTicks: 50, startTicks: 20 },
      { pid: 3, cpuTicks: 0, startTicks: 30 },
    ]);
    const after = table(12_000, 5200, [
      { pid: 1, cpuTicks: 1100, startTicks: 10 }, // 1 s of CPU in 2 s: 50 %
      { pid: 2, cpuTicks: 450, startTicks: 20 }, // 4 s in 2 s: two cores, 200 %
      { pid: 3, cpuTicks: 0, startTicks: 30 },
    ]);
    const percents = processCpuPercents(before, after);
    expect(percents.get(1)).toBeCloseTo(50);
    expect(percents.get(2)).toBeCloseTo(200);
    expect(percents.get(3)).toBe(0);
  });

  it("reports recent use, not the lifetime average: a long-idle process that starts working shows it", () => {
    // 10 s of CPU over 10 000 s of life, then 1.5 s of CPU in the last 2 s.
    const before = table(0, 1_000_000, [{ pid: 7, cpuTicks: 1000, startTicks: 0 }]);
    const after = table(2000, 1_000_200, [{ pid: 7, cpuTicks: 1150, startTicks: 0 }]);
    expect(processCpuPercents(before, after).get(7)).toBeCloseTo(75);
  });

  it("treats a reused pid as a new process and gives it its average since start", () => {
    const before = table(0, 10_000, [{ pid: 9, cpuTicks: 5000, startTicks: 100 }]);
    // Same pid, started 1 s ago (tick 10 100), used 0.3 s of CPU: 30 %, not a negative delta.
    const after = table(2000, 10_200, [{ pid: 9, cpuTicks: 30, startTicks: 10_100 }]);
    expect(processCpuPercents(before, after).get(9)).toBeCloseTo(30);
  });

  it("gives processes first seen (and the first snapshot) their average since start", () => {
    const first = table(0, 1000, [
      { pid: 1, cpuTicks: 250, startTicks: 0 }, // 2.5 s over 10 s: 25 %
      { pid: 2, cpuTicks: 0, startTicks: 1000 }, // born this tick: 0, not a division by zero
    ]);
    const percents = processCpuPercents(undefined, first);
    expect(percents.get(1)).toBeCloseTo(25);
    expect(percents.get(2)).toBe(0);
  });
});

describe("CPU % from two /proc trees", () => {
  it("tells a reused pid from the process that had it, through its start time", () => {
    const before = createFakeProc({
      uptimeSeconds: 100,
      processes: [
        { pid: 300, name: "old worker", utime: 8, stime: 2, startTicks: 50 }, // fewer ticks than its successor
        { pid: 301, name: "steady", utime: 100, startTicks: 60 },
      ],
    });
    const after = createFakeProc({
      uptimeSeconds: 102,
      processes: [
        // pid 300 now belongs to a process started 0.5 s ago that used 0.25 s of CPU
        { pid: 300, name: "new worker", utime: 20, stime: 5, startTicks: 10_150 },
        { pid: 301, name: "steady", utime: 150, startTicks: 60 },
      ],
    });
    try {
      const percents = processCpuPercents(
        readProcessTable(before.root, { takenAt: 0 }),
        readProcessTable(after.root, { takenAt: 2000 }),
      );
      expect(percents.get(300)).toBeCloseTo(50);
      expect(percents.get(301)).toBeCloseTo(25);
    } finally {
      before.cleanup();
      after.cleanup();
    }
  });
});

describe("host CPU % of all cores", () => {
  const stat = (user: number, idle: number, iowait: number) =>
    `cpu  ${user} 0 100 ${idle} ${iowait} 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nbtime 1700000000\n`;

  it("parses the aggregate line: iowait is idle time, not busy time", () => {
    expect(parseHostCpuTimes(stat(900, 800, 200))).toEqual({ busy: 1000, total: 2000 });
    expect(() => parseHostCpuTimes("intr 1 2 3\n")).toThrow(/cpu line/);
  });

  it("is the busy share of the ticks since the previous reading, since boot at first", () => {
    const a = parseHostCpuTimes(stat(900, 800, 200));
    const b = parseHostCpuTimes(stat(1200, 900, 200)); // +300 busy, +100 idle
    expect(hostCpuPercent(undefined, a)).toBeCloseTo(50);
    expect(hostCpuPercent(a, b)).toBeCloseTo(75);
    expect(hostCpuPercent(b, b)).toBe(0);
  });

  it("reads real figures from /proc/stat and from os.cpus()", () => {
    const proc = readHostCpuTimes("/proc");
    expect(proc.total).toBeGreaterThan(proc.busy);
    expect(proc.busy).toBeGreaterThan(0);
    const portable = portableHostCpuTimes();
    expect(portable.total).toBeGreaterThan(portable.busy);
  });
});

describe("real processes", () => {
  /**
   * CPU time from the scheduler's own nanosecond account, independent of clock ticks: schedstat
   * is per thread, so it is summed over the process's threads.
   */
  const scheduledNs = (pid: number) =>
    readdirSync(`/proc/${pid}/task`).reduce(
      (sum, tid) => sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1").split(" ")[0]),
      0,
    );

  it("a spinning process reads what the scheduler gave it over ~1 s (at least 50 %), an idle one under 10 %", async () => {
    const idle = await startIdleChild();
    const burner = await startCpuBurner();
    const first = readProcessTable("/proc");
    const firstNs = scheduledNs(burner.pid);
    const hostBefore = readHostCpuTimes("/proc");
    await sleep(1000);
    const second = readProcessTable("/proc");
    const secondNs = scheduledNs(burner.pid);
    const hostAfter = readHostCpuTimes("/proc");
    const percents = processCpuPercents(first, second);
    // The truth, measured another way; ticks are 10 ms, so allow 10 points of rounding and skew.
    const truth = ((secondNs - firstNs) / 1e6 / (second.takenAt - first.takenAt)) * 100;
    expect(Math.abs(percents.get(burner.pid)! - truth)).toBeLessThan(10);
    expect(percents.get(burner.pid)).toBeGreaterThanOrEqual(50);
    expect(percents.get(burner.pid)).toBeLessThanOrEqual(110);
    expect(percents.get(idle.pid)).toBeLessThan(10);
    // What the burner used is part of what the host used, over all its cores.
    expect(hostCpuPercent(hostBefore, hostAfter)).toBeGreaterThanOrEqual((truth - 10) / cpus().length);
  });
});
