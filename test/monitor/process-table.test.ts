import { afterEach, describe, expect, it } from "vitest";
import { readPortableProcessTable } from "../../monitor/portable-process-table.js";
import {
  detectPageSize,
  LINUX_CLOCK_TICKS,
  parseProcessStat,
  readCommandLine,
  readProcessTable,
} from "../../monitor/process-table.js";
import { IDLE_SCRIPT, startIdleChild, stopAllChildren, stopChild } from "./child-processes.js";
import { createFakeProc, statLine } from "./fake-proc.js";

const cleanups: Array<() => void> = [];
afterEach(async () => {
  cleanups.splice(0).forEach((c) => c());
  await stopAllChildren();
});

function fakeProc(options: Parameters<typeof createFakeProc>[0]): string {
  const fake = createFakeProc(options);
  cleanups.push(fake.cleanup);
  return fake.root;
}

describe("reading the process table from a /proc tree", () => {
  it("reads name, parent, state, CPU ticks, start and memory of every process", () => {
    const root = fakeProc({
      processes: [
        { pid: 1, name: "systemd", ppid: 0, utime: 500, stime: 250, startTicks: 1, rssPages: 3000 },
        { pid: 4242, name: "node", ppid: 1, state: "R", utime: 70, stime: 30, startTicks: 90000, rssPages: 10 },
      ],
    });
    const table = readProcessTable(root, { takenAt: 1_700_000_000_000 });
    expect(table.takenAt).toBe(1_700_000_000_000);
    expect(table.clockTicks).toBe(100);
    expect(table.uptimeTicks).toBe(1000 * LINUX_CLOCK_TICKS);
    expect([...table.processes.keys()].sort((a, b) => a - b)).toEqual([1, 4242]);
    expect(table.processes.get(4242)).toMatchObject({
      pid: 4242,
      ppid: 1,
      name: "node",
      state: "R",
      cpuTicks: 100,
      startTicks: 90000,
      rssBytes: 10 * 4096,
      uid: process.getuid!(),
    });
    expect(table.processes.get(1)?.rssBytes).toBe(3000 * 4096);
  });

  it("keeps a name with spaces and parentheses whole, reading up to the last ')'", () => {
    const root = fakeProc({
      processes: [
        { pid: 10, name: "my (weird) app", utime: 5, rssPages: 1 },
        { pid: 11, name: ") S 1 2 3", utime: 7, stime: 1, startTicks: 555 },
        { pid: 12, name: "tmux: server", ppid: 10 },
      ],
    });
    const table = readProcessTable(root);
    expect(table.processes.get(10)?.name).toBe("my (weird) app");
    expect(table.processes.get(10)?.cpuTicks).toBe(5);
    // A name forged to look like the fields after it must not shift them.
    expect(table.processes.get(11)).toMatchObject({ name: ") S 1 2 3", ppid: 1, cpuTicks: 8, startTicks: 555 });
    expect(table.processes.get(12)).toMatchObject({ name: "tmux: server", ppid: 10 });
  });

  it("skips a process that vanished between listing /proc and reading its stat", () => {
    const root = fakeProc({ processes: [{ pid: 20, name: "alive" }], vanished: [21, 22] });
    const table = readProcessTable(root);
    expect([...table.processes.keys()]).toEqual([20]);
  });

  it("rejects stat lines that are cut short or malformed", () => {
    expect(parseProcessStat("")).toBeUndefined();
    expect(parseProcessStat("12 (x) S 1 2")).toBeUndefined();
    expect(parseProcessStat("abc (x) " + statLine({ pid: 1, name: "x" }).split(") ")[1])).toBeUndefined();
    expect(parseProcessStat(statLine({ pid: 3, name: "ok", rssPages: 2 }), 16384)?.rssBytes).toBe(32768);
  });

  it("reads a command line lazily: NUL-separated arguments joined with spaces", () => {
    const root = fakeProc({
      processes: [
        { pid: 30, name: "node", argv: ["/usr/bin/node", "/srv/agent.js", "--port", "8080"] },
        { pid: 31, name: "kthreadd", argv: [] },
      ],
    });
    expect(readCommandLine(30, root)).toBe("/usr/bin/node /srv/agent.js --port 8080");
    expect(readCommandLine(31, root)).toBe("");
    expect(readCommandLine(99999, root)).toBe("");
  });
});

describe("reading the real process table", () => {
  it("sees this test process and a child it starts, with the child's command line", async () => {
    const child = await startIdleChild();
    const table = readProcessTable("/proc");
    expect(table.processes.size).toBeGreaterThan(2);
    expect(table.processes.get(process.pid)?.ppid).toBe(process.ppid);
    const info = table.processes.get(child.pid);
    expect(info).toMatchObject({ pid: child.pid, ppid: process.pid, name: "node" });
    expect(info!.rssBytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(readCommandLine(child.pid)).toBe(
      `${process.execPath} -e ${IDLE_SCRIPT} agent.js ${child.token}`,
    );
    await stopChild(child);
    expect(readProcessTable("/proc").processes.has(child.pid)).toBe(false);
  });

  it("detects the kernel's page size from /proc/self/smaps", () => {
    expect([4096, 16384, 65536]).toContain(detectPageSize("/proc"));
    expect(detectPageSize("/nonexistent")).toBe(4096);
  });

  it.skipIf(process.platform !== "linux")(
    "matches /proc's memory figure: rss pages times page size equals VmRSS",
    async () => {
      const { readFileSync } = await import("node:fs");
      const pageSize = detectPageSize("/proc");
      const child = await startIdleChild();
      const rss = () => readProcessTable("/proc", { pageSize }).processes.get(child.pid)!.rssBytes;
      const vmRss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "latin1"))![1]) * 1024;
      // Both come from the kernel's RSS counters (stat's in pages, status's in kB); recent kernels
      // sum per-CPU counters slightly differently, so allow a few percent, far from a 4x page error.
      expect(rss() / vmRss()).toBeGreaterThan(0.95);
      expect(rss() / vmRss()).toBeLessThan(1.05);
    },
  );
});

describe("the portable process table (hosts without /proc)", () => {
  it("lists processes through ps with names, command lines, CPU time and memory", async () => {
    const child = await startIdleChild();
    const table = await readPortableProcessTable({ takenAt: 5 });
    expect(table.takenAt).toBe(5);
    expect(table.clockTicks).toBe(1000);
    const info = table.processes.get(child.pid);
    expect(info).toBeDefined();
    expect(info!.commandLine).toContain(child.token);
    expect(info!.rssBytes).toBeGreaterThan(1024 * 1024);
    // A second table keeps the child's start time although ps reports it to the second only.
    const again = await readPortableProcessTable({ previous: table });
    expect(again.processes.get(child.pid)?.startTicks).toBe(info!.startTicks);
  });
});
