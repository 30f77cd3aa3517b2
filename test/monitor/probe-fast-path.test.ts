import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceConfig } from "../../config/types.js";
import { FULL_SCAN_MAX_AGE_MS, MULTI_PROCESS_RESCAN_MS } from "../../monitor/known-processes.js";
import { createProbe } from "../../monitor/probe.js";
import type { Snapshot } from "../../monitor/snapshot.js";
import { createFakeProc, type FakeProcess, statLine } from "./fake-proc.js";

/**
 * The probe's fast path against a fake /proc tree: the tree is changed between cycles the way the
 * kernel would change it (a process exits, its pid is reused, a worker is forked), and the clock
 * is the test's, so the full-scan periods can be crossed without waiting.
 */
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

const MEMINFO = "MemTotal: 8000000 kB\nMemAvailable: 4000000 kB\n";
const PROC_STAT = "cpu 100 0 100 1000 0 0 0 0\nbtime 1700000000\n";

/** A fake host: `others` unrelated processes besides those given, and a clock starting at 0. */
function fakeHost(processes: FakeProcess[], others = 40) {
  const unrelated = Array.from({ length: others }, (_, i) => ({ pid: 1000 + i, name: `other-${i}`, rssPages: 10 }));
  const proc = createFakeProc({ processes: [...processes, ...unrelated], procStat: PROC_STAT, meminfo: MEMINFO, uptimeSeconds: 10_000 });
  const home = mkdtempSync(join(tmpdir(), "gaia-fast-home-"));
  cleanups.push(proc.cleanup, () => rmSync(home, { recursive: true, force: true }));
  let clock = 1_700_000_000_000;
  return {
    root: proc.root,
    home,
    now: () => clock,
    advance: (ms: number) => void (clock += ms),
    /** Writes (or rewrites) a process's stat file, as the kernel shows a new or changed process. */
    put(p: FakeProcess) {
      mkdirSync(join(proc.root, String(p.pid)), { recursive: true });
      writeFileSync(join(proc.root, String(p.pid), "stat"), statLine(p));
    },
    /** The process exits and is reaped: its folder goes. */
    remove(pid: number) {
      rmSync(join(proc.root, String(pid)), { recursive: true, force: true });
    },
  };
}

const byName = (name: string, process = name): ServiceConfig => ({ name, match: { kind: "process", process } });
const observed = (snapshot: Snapshot, name: string) => snapshot.services.find((s) => s.name === name)!;

function probeOn(host: ReturnType<typeof fakeHost>, services: ServiceConfig[]) {
  return createProbe({ procRoot: host.root, homeDir: host.home, services, selfPid: 1, now: host.now });
}

describe("the probe's fast path", () => {
  it("reads only the watched processes while they live, and keeps their CPU % right across cycles", async () => {
    const host = fakeHost([
      { pid: 100, name: "smbd", startTicks: 500, utime: 0, rssPages: 100 },
      { pid: 200, name: "jellyfin", startTicks: 600, utime: 0, rssPages: 200 },
    ]);
    const probe = probeOn(host, [byName("smbd"), byName("jellyfin")]);
    await probe.sample();
    expect(probe.stats).toMatchObject({ scans: 1, fastCycles: 0 });

    // A new process that no service names is not looked for: only the two stat files are read.
    host.put({ pid: 300, name: "unrelated" });
    host.advance(10_000);
    host.put({ pid: 100, name: "smbd", startTicks: 500, utime: 100, rssPages: 100 }); // 1 s of CPU in 10 s
    const second = await probe.sample();
    expect(probe.stats).toMatchObject({ scans: 1, fastCycles: 1 });
    expect(observed(second, "smbd")).toMatchObject({ up: true, pids: [100], processCount: 1, memoryBytes: 100 * 4096 });
    expect(observed(second, "smbd").cpuPercent).toBeCloseTo(10);
    expect(observed(second, "jellyfin")).toMatchObject({ up: true, pids: [200], cpuPercent: 0 });

    host.advance(10_000);
    host.put({ pid: 100, name: "smbd", startTicks: 500, utime: 300, rssPages: 150 }); // 2 s more in 10 s
    const third = await probe.sample();
    expect(probe.stats).toMatchObject({ scans: 1, fastCycles: 2 });
    expect(observed(third, "smbd").cpuPercent).toBeCloseTo(20);
    expect(observed(third, "smbd").memoryBytes).toBe(150 * 4096);
  });

  it("sees a reused pid as another process: a full scan, and the service down", async () => {
    const host = fakeHost([{ pid: 100, name: "smbd", startTicks: 500 }]);
    const probe = probeOn(host, [byName("smbd")]);
    expect(observed(await probe.sample(), "smbd").up).toBe(true);

    // smbd exited and the kernel gave pid 100 to a new process of the same name? No: to a shell.
    host.put({ pid: 100, name: "bash", startTicks: 9_000 });
    host.advance(15_000);
    const after = await probe.sample();
    expect(observed(after, "smbd")).toMatchObject({ up: false, pids: [] });
    expect(probe.stats).toMatchObject({ scans: 2, fastCycles: 0 });
  });

  it("does not trust a pid reused by a process of the same name: the new one is found by a full scan", async () => {
    const host = fakeHost([{ pid: 100, name: "smbd", startTicks: 500, utime: 5_000 }]);
    const probe = probeOn(host, [byName("smbd")]);
    const before = await probe.sample();
    host.put({ pid: 100, name: "smbd", startTicks: 9_000, utime: 0 });
    host.advance(15_000);
    const after = await probe.sample();
    expect(probe.stats).toMatchObject({ scans: 2, fastCycles: 0 });
    expect(observed(after, "smbd")).toMatchObject({ up: true, pids: [100] });
    // Restarted: its start moved from tick 500 to tick 9000 after boot.
    expect(observed(after, "smbd").startedAt!.getTime() - observed(before, "smbd").startedAt!.getTime()).toBe(85_000);
  });

  it("turns a dead process into a full scan and a down service, and scans fully while it stays down", async () => {
    const host = fakeHost([
      { pid: 100, name: "smbd", startTicks: 500 },
      { pid: 200, name: "jellyfin", startTicks: 600 },
    ]);
    const probe = probeOn(host, [byName("smbd"), byName("jellyfin")]);
    await probe.sample();
    host.advance(15_000);
    await probe.sample();
    expect(probe.stats).toMatchObject({ scans: 1, fastCycles: 1 });

    host.remove(100);
    host.advance(15_000);
    const dead = await probe.sample();
    expect(observed(dead, "smbd")).toMatchObject({ up: false, pids: [] });
    expect(observed(dead, "jellyfin")).toMatchObject({ up: true, pids: [200] });
    expect(probe.stats).toMatchObject({ scans: 2, fastCycles: 1 });

    // While it is down, every cycle looks for it: it comes back under a new pid.
    host.put({ pid: 400, name: "smbd", startTicks: 9_500 });
    host.advance(15_000);
    const back = await probe.sample();
    expect(observed(back, "smbd")).toMatchObject({ up: true, pids: [400] });
    expect(probe.stats).toMatchObject({ scans: 3, fastCycles: 1 });
  });

  it("counts a zombie as dead", async () => {
    const host = fakeHost([{ pid: 100, name: "smbd", startTicks: 500 }]);
    const probe = probeOn(host, [byName("smbd")]);
    await probe.sample();
    host.put({ pid: 100, name: "smbd", startTicks: 500, state: "Z" });
    host.advance(15_000);
    expect(observed(await probe.sample(), "smbd").up).toBe(false);
    expect(probe.stats.scans).toBe(2);
  });

  it(`finds a new worker of a multi-process service within ${MULTI_PROCESS_RESCAN_MS / 1000} s, a second instance of a one-process one within ${FULL_SCAN_MAX_AGE_MS / 60_000} min`, async () => {
    const host = fakeHost([
      { pid: 100, name: "nginx", startTicks: 500 },
      { pid: 101, name: "nginx", startTicks: 510 },
      { pid: 200, name: "smbd", startTicks: 600 },
    ]);
    const probe = probeOn(host, [byName("nginx"), byName("smbd")]);
    await probe.sample();
    host.put({ pid: 102, name: "nginx", startTicks: 9_000 });
    host.put({ pid: 201, name: "smbd", startTicks: 9_000 });

    const seen: number[] = [];
    for (let t = 15_000; t <= MULTI_PROCESS_RESCAN_MS; t += 15_000) {
      host.advance(15_000);
      seen.push(observed(await probe.sample(), "nginx").processCount);
    }
    expect(seen).toEqual([2, 2, 2, 3]);
    expect(probe.stats).toMatchObject({ scans: 2, fastCycles: 3 });

    // Without a multi-process service the period is the longer one.
    const single = probeOn(host, [byName("smbd", "smbd")]);
    host.remove(201);
    await single.sample();
    host.put({ pid: 201, name: "smbd", startTicks: 9_000 });
    const counts: number[] = [];
    for (let t = 15_000; t <= FULL_SCAN_MAX_AGE_MS; t += 15_000) {
      host.advance(15_000);
      counts.push(observed(await single.sample(), "smbd").processCount);
    }
    expect(counts.slice(0, -1).every((n) => n === 1)).toBe(true);
    expect(counts.at(-1)).toBe(2);
    expect(single.stats).toMatchObject({ scans: 2, fastCycles: FULL_SCAN_MAX_AGE_MS / 15_000 - 1 });
  });

  it("scans fully when a pidfile is rewritten", async () => {
    const host = fakeHost([
      { pid: 100, name: "daemon", startTicks: 500 },
      { pid: 101, name: "daemon", startTicks: 9_000 },
    ]);
    const pidfile = join(host.home, "daemon.pid");
    writeFileSync(pidfile, "100\n");
    const written = new Date(host.now());
    utimesSync(pidfile, written, written);
    const probe = probeOn(host, [{ name: "daemon", match: { kind: "pidfile", pidfile } }]);
    expect(observed(await probe.sample(), "daemon").pids).toEqual([100]);
    host.advance(15_000);
    expect(observed(await probe.sample(), "daemon").pids).toEqual([100]);
    expect(probe.stats).toMatchObject({ scans: 1, fastCycles: 1 });

    writeFileSync(pidfile, "101\n");
    const rewritten = new Date(host.now());
    utimesSync(pidfile, rewritten, rewritten);
    host.advance(15_000);
    expect(observed(await probe.sample(), "daemon").pids).toEqual([101]);
    expect(probe.stats).toMatchObject({ scans: 2, fastCycles: 1 });
  });

  it("shows the whole table in /top after a fast cycle, each process's CPU % since its own last reading", async () => {
    const host = fakeHost([{ pid: 100, name: "smbd", startTicks: 500 }], 30);
    host.put({ pid: 900, name: "ffmpeg", startTicks: 700, utime: 0, rssPages: 5_000 });
    const probe = probeOn(host, [byName("smbd")]);
    await probe.sample();
    host.advance(10_000);
    host.put({ pid: 900, name: "ffmpeg", startTicks: 700, utime: 1_500, rssPages: 5_000 }); // 15 s of CPU in 10 s
    const fast = await probe.sample();
    expect(probe.stats).toMatchObject({ scans: 1, fastCycles: 1 });

    const byMemory = fast.topProcesses("memory", 1_000);
    expect(byMemory).toHaveLength(32); // smbd, ffmpeg and the 30 others
    expect(probe.stats).toMatchObject({ scans: 2, fastCycles: 1 });
    const [busiest] = fast.topProcesses("cpu", 1);
    expect(busiest).toMatchObject({ pid: 900, name: "ffmpeg", memoryBytes: 5_000 * 4096 });
    expect(busiest.cpuPercent).toBeCloseTo(150);
    expect(probe.stats.scans).toBe(2); // read once per snapshot, however often asked

    // The late full read is a reading like any other: the next cycle's figures start from it.
    host.advance(10_000);
    host.put({ pid: 900, name: "ffmpeg", startTicks: 700, utime: 2_000, rssPages: 5_000 });
    const next = await probe.sample();
    expect(next.topProcesses("cpu", 1)[0].cpuPercent).toBeCloseTo(50);
  });

  it("reads the whole table every cycle when asked to (the /top probe)", async () => {
    const host = fakeHost([{ pid: 100, name: "smbd", startTicks: 500 }]);
    const probe = createProbe({ procRoot: host.root, homeDir: host.home, services: [], selfPid: 1, now: host.now, wholeTable: true });
    for (let i = 0; i < 3; i++) {
      host.advance(1_000);
      await probe.sample();
    }
    expect(probe.stats).toMatchObject({ scans: 3, fastCycles: 0 });
  });
});
