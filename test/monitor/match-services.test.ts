import { describe, expect, it } from "vitest";
import type { ServiceConfig } from "../../config/types.js";
import { matchServices, type ServiceMatchLookups } from "../../monitor/match-services.js";
import type { PortListeners } from "../../monitor/port-owners.js";
import type { ProcessInfo, ProcessTable } from "../../monitor/process-table.js";
import { serviceUsage } from "../../monitor/service-usage.js";

const SELF = 500;

function table(processes: Array<Partial<ProcessInfo> & { pid: number; name: string }>): ProcessTable {
  return {
    takenAt: 0,
    clockTicks: 100,
    uptimeTicks: 100_000,
    processes: new Map(
      processes.map((p) => [p.pid, { ppid: 1, state: "S", cpuTicks: 0, startTicks: 0, rssBytes: 0, ...p }]),
    ),
  };
}

/** Lookups over fixed data that count the command lines read. */
function lookups(data: {
  commandLines?: Record<number, string>;
  pidFiles?: Record<string, number>;
  pidFilesWrittenAt?: Record<string, number>;
  ports?: Record<number, PortListeners>;
}): ServiceMatchLookups & { commandLinesRead: number[] } {
  const commandLinesRead: number[] = [];
  return {
    selfPid: SELF,
    commandLinesRead,
    commandLine(pid) {
      commandLinesRead.push(pid);
      return data.commandLines?.[pid] ?? "";
    },
    readPidFile: (path) => data.pidFiles?.[path],
    pidFileWrittenAt: (path) => data.pidFilesWrittenAt?.[path],
    portListeners: (port) => data.ports?.[port] ?? { listening: false, pids: [] },
  };
}

const byProcess = (name: string, process: string, args?: string): ServiceConfig => ({
  name,
  match: { kind: "process", process, ...(args !== undefined ? { args } : {}) },
});

describe("matching services by process name", () => {
  const processes = table([
    { pid: 10, name: "node" },
    { pid: 11, name: "node" },
    { pid: 12, name: "nginx" },
    { pid: 13, name: "nginx" },
    { pid: SELF, name: "node" },
    { pid: 14, name: "node", state: "Z" },
  ]);
  const commandLines = {
    10: "/usr/bin/node /srv/agent.js",
    11: "/usr/bin/node /srv/worker.js --queue mail",
    [SELF]: "/usr/bin/node /opt/gaia/dist/cli/gaia.js start agent.js",
  };

  it("finds every process with the name, never gaia itself nor a zombie", () => {
    const [nginx, node] = matchServices([byProcess("web", "nginx"), byProcess("any-node", "node")], processes, lookups({ commandLines }));
    expect(nginx).toEqual({ name: "web", up: true, pids: [12, 13], processCount: 2 });
    expect(node.pids).toEqual([10, 11]);
  });

  it("narrows by a substring of the command line, reading command lines only of name matches", () => {
    const data = lookups({ commandLines });
    const [agent, worker, none] = matchServices(
      [byProcess("agent", "node", "agent.js"), byProcess("mail", "node", "--queue mail"), byProcess("x", "node", "nope.js")],
      processes,
      data,
    );
    expect(agent.pids).toEqual([10]);
    expect(worker.pids).toEqual([11]);
    expect(none).toEqual({ name: "x", up: false, pids: [], processCount: 0 });
    // nginx's command lines were never read, nor gaia's own (whose command line has agent.js).
    expect(new Set(data.commandLinesRead)).toEqual(new Set([10, 11]));
  });

  it("reports a service with no such process as down", () => {
    const [service] = matchServices([byProcess("db", "postgres")], processes, lookups({}));
    expect(service).toEqual({ name: "db", up: false, pids: [], processCount: 0 });
  });

  it("matches names longer than the kernel's 15 characters by their first 15", () => {
    const long = table([
      { pid: 20, name: "home-assistant-" }, // comm of "home-assistant-core"
      { pid: 21, name: "home-assistant-" }, // comm of "home-assistant-proxy", a different program
      { pid: 22, name: "home-assistant-" }, // a Python script run through its shebang
      { pid: 23, name: "home-assistant" },
    ]);
    const data = lookups({
      commandLines: {
        20: "/opt/ha/bin/home-assistant-core --config /etc/ha",
        21: "/opt/ha/bin/home-assistant-proxy",
        22: "/usr/bin/python3 /opt/ha/bin/home-assistant-core",
      },
    });
    const [core] = matchServices([byProcess("ha", "home-assistant-core")], long, data);
    expect(core.pids).toEqual([20, 22]);
    const [short] = matchServices([byProcess("ha", "home-assistant")], long, lookups({}));
    expect(short.pids).toEqual([23]);
  });
});

describe("matching services by pidfile", () => {
  const processes = table([{ pid: 30, name: "agent" }, { pid: 31, name: "zombie", state: "Z" }]);
  const pidfile = (name: string, path: string): ServiceConfig => ({ name, match: { kind: "pidfile", pidfile: path } });

  it("is up while the written pid is alive; a stale or missing pidfile is down", () => {
    const data = lookups({ pidFiles: { "/run/a.pid": 30, "/run/stale.pid": 9999, "/run/z.pid": 31 } });
    const [alive, stale, missing, zombie] = matchServices(
      [pidfile("a", "/run/a.pid"), pidfile("s", "/run/stale.pid"), pidfile("m", "/run/missing.pid"), pidfile("z", "/run/z.pid")],
      processes,
      data,
    );
    expect(alive).toEqual({ name: "a", up: true, pids: [30], processCount: 1 });
    expect(stale.up).toBe(false);
    expect(missing.up).toBe(false);
    expect(zombie.up).toBe(false);
  });

  it("does not count a pid reused by a process that started after the pidfile was written (a stale pidfile after a reboot)", () => {
    // Booted at 0 (takenAt 1,000,000 ms, uptime 1,000 s); the process started 500 s after boot.
    const host = { takenAt: 1_000_000, clockTicks: 100, uptimeTicks: 100_000 };
    const processes = { ...host, processes: new Map([[30, { pid: 30, ppid: 1, name: "other", state: "S", cpuTicks: 0, startTicks: 50_000, rssBytes: 0 }]]) };
    const data = lookups({
      pidFiles: { "/run/before.pid": 30, "/run/after.pid": 30, "/run/slack.pid": 30 },
      pidFilesWrittenAt: { "/run/before.pid": 100_000, "/run/after.pid": 600_000, "/run/slack.pid": 499_000 },
    });
    const [reused, written, rounding, noMtime] = matchServices(
      [pidfile("r", "/run/before.pid"), pidfile("w", "/run/after.pid"), pidfile("s", "/run/slack.pid"), pidfile("n", "/run/nomtime.pid")],
      processes,
      { ...data, readPidFile: () => 30 },
    );
    expect(reused.up).toBe(false); // written at 100 s, its pid now a process started at 500 s
    expect(written.up).toBe(true); // written after the process started: the service's own
    expect(rounding.up).toBe(true); // within the clock slack
    expect(noMtime.up).toBe(true); // nothing to compare: the pid is trusted
  });
});

describe("matching services by listening port", () => {
  const processes = table([{ pid: 40, name: "caddy" }, { pid: 41, name: "caddy" }]);
  const port = (name: string, p: number): ServiceConfig => ({ name, match: { kind: "port", port: p } });

  it("takes the owners of the listening socket, and counts a listener whose owner is hidden as up", () => {
    const data = lookups({
      ports: {
        443: { listening: true, pids: [41, 40] },
        5432: { listening: true, pids: [] }, // another user's process while gaia is not root
        8080: { listening: true, pids: [777] }, // owner exited since the socket table was read
      },
    });
    const [https, db, gone, closed] = matchServices(
      [port("https", 443), port("db", 5432), port("gone", 8080), port("closed", 9000)],
      processes,
      data,
    );
    expect(https).toEqual({ name: "https", up: true, pids: [40, 41], processCount: 2 });
    expect(db).toEqual({ name: "db", up: true, pids: [], processCount: 0 });
    expect(gone).toEqual({ name: "gone", up: true, pids: [], processCount: 0 });
    expect(closed).toEqual({ name: "closed", up: false, pids: [], processCount: 0 });
  });
});

describe("what a service uses", () => {
  it("sums CPU % and memory of its processes and starts at its oldest process", () => {
    const processes = table([
      { pid: 1, name: "a", rssBytes: 100 * 1024 * 1024, startTicks: 5000 },
      { pid: 2, name: "a", rssBytes: 50 * 1024 * 1024, startTicks: 3000 },
      { pid: 3, name: "b", rssBytes: 999 },
    ]);
    const cpu = new Map([[1, 30], [2, 45.5], [3, 99]]);
    const boot = new Date("2025-01-01T00:00:00Z");
    const usage = serviceUsage([1, 2, 404], processes, cpu, 1024 * 1024 * 1024, boot);
    expect(usage.cpuPercent).toBeCloseTo(75.5);
    expect(usage.memoryBytes).toBe(150 * 1024 * 1024);
    expect(usage.memoryPercent).toBeCloseTo((150 / 1024) * 100);
    expect(usage.startedAt).toEqual(new Date("2025-01-01T00:00:30Z")); // tick 3000 = 30 s after boot
    expect(serviceUsage([], processes, cpu, 1024, boot)).toEqual({ cpuPercent: 0, memoryBytes: 0, memoryPercent: 0 });
  });
});
