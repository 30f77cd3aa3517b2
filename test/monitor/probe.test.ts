import childProcess from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRedactor } from "../../config/redact.js";
import type { ServiceConfig } from "../../config/types.js";
import { createProbe } from "../../monitor/probe.js";
import type { Snapshot } from "../../monitor/snapshot.js";
import {
  IDLE_SCRIPT,
  sleep,
  startCpuBurner,
  startIdleChild,
  startNodeChild,
  startListener,
  stopAllChildren,
  stopChild,
} from "./child-processes.js";

const home = mkdtempSync(join(tmpdir(), "gaia-probe-home-"));
// Each test's children die with it: a burner left running would skew the next test's CPU figures.
afterEach(stopAllChildren);
afterAll(() => rmSync(home, { recursive: true, force: true }));

/**
 * Counts every child process started while `work` runs: all async spawns (spawn, exec, execFile,
 * fork) go through ChildProcess.prototype.spawn, and the sync ones through these three functions.
 */
async function countingSpawns<T>(work: () => Promise<T>): Promise<{ result: T; spawned: number }> {
  // spawn() is internal to ChildProcess, hence missing from its typings.
  const proto = childProcess.ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown };
  const module = childProcess as unknown as Record<string, (...args: unknown[]) => unknown>;
  const syncNames = ["spawnSync", "execSync", "execFileSync"];
  const originalSpawn = proto.spawn;
  const originalSync = syncNames.map((name) => module[name]);
  let spawned = 0;
  proto.spawn = function (this: unknown, ...args: unknown[]) {
    spawned++;
    return originalSpawn.apply(this, args);
  };
  syncNames.forEach((name, i) => {
    module[name] = (...args: unknown[]) => {
      spawned++;
      return originalSync[i](...args);
    };
  });
  try {
    return { result: await work(), spawned };
  } finally {
    proto.spawn = originalSpawn;
    syncNames.forEach((name, i) => (module[name] = originalSync[i]));
  }
}

const service = (name: string, match: ServiceConfig["match"]): ServiceConfig => ({ name, match });
const observed = (snapshot: Snapshot, name: string) => snapshot.services.find((s) => s.name === name)!;

describe("probing the host and the services", () => {
  it("finds services by name+args, pidfile and port, reads a busy one's CPU, and starts no process", async () => {
    const agent = await startIdleChild();
    const daemon = await startIdleChild();
    const web = await startListener("127.0.0.1");
    const burner = await startCpuBurner();
    const pidfile = join(home, "daemon.pid");
    writeFileSync(pidfile, `${daemon.pid}\n`);
    const probe = createProbe({
      homeDir: home,
      selfPid: process.pid,
      services: [
        service("agent", { kind: "process", process: "node", args: agent.token }),
        service("daemon", { kind: "pidfile", pidfile }),
        service("web", { kind: "port", port: web.port }),
        service("burner", { kind: "process", process: "node", args: burner.token }),
        service("absent", { kind: "process", process: "no-such-daemon" }),
      ],
    });

    const { result, spawned } = await countingSpawns(async () => {
      const first = await probe.sample();
      await sleep(1000);
      const second = await probe.sample();
      return { first, second };
    });
    const { first, second } = result;

    expect(spawned).toBe(0);
    expect(probe.stats).toEqual({ scans: 2, fastCycles: 0, spawns: 0, fdScans: 1 });

    expect(observed(second, "agent")).toMatchObject({ up: true, pids: [agent.pid], processCount: 1 });
    expect(observed(second, "daemon")).toMatchObject({ up: true, pids: [daemon.pid], processCount: 1 });
    expect(observed(second, "web")).toMatchObject({ up: true, pids: [web.pid], processCount: 1 });
    expect(observed(second, "absent")).toEqual({
      name: "absent",
      up: false,
      pids: [],
      processCount: 0,
      cpuPercent: 0,
      memoryBytes: 0,
      memoryPercent: 0,
    });

    const burning = observed(second, "burner");
    expect(burning.cpuPercent).toBeGreaterThanOrEqual(50);
    expect(burning.cpuPercent).toBeLessThanOrEqual(110);
    expect(observed(second, "agent").cpuPercent).toBeLessThan(10);

    const agentSeen = observed(second, "agent");
    expect(agentSeen.memoryBytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(agentSeen.memoryPercent).toBeCloseTo((agentSeen.memoryBytes / second.host.memoryTotalBytes) * 100);
    // Started a second or two ago (boot time is whole seconds, so allow for that).
    expect(Math.abs(agentSeen.startedAt!.getTime() - (Date.now() - 1500))).toBeLessThan(3000);

    expect(second.at.getTime() - first.at.getTime()).toBeGreaterThanOrEqual(1000);
    expect(second.host.cpuPercent).toBeGreaterThanOrEqual(50 / cpus().length);
    expect(second.host.cpuPercent).toBeLessThanOrEqual(100);
    expect(second.host.memoryPercent).toBeGreaterThan(0);
    expect(second.host.diskPercent).toBeGreaterThan(0);
    expect(second.host.load).toHaveLength(3);
    expect(second.host.bootTime).toEqual(first.host.bootTime);
  });

  it("lists the busiest processes for /top, by CPU and by memory, with their command lines", async () => {
    const burner = await startCpuBurner();
    const probe = createProbe({ homeDir: home, selfPid: process.pid, services: [] });
    await probe.sample();
    await sleep(1000);
    const snapshot = await probe.sample();

    const byCpu = snapshot.topProcesses("cpu", 5);
    expect(byCpu).toHaveLength(5);
    const top = byCpu.find((p) => p.pid === burner.pid);
    expect(top).toMatchObject({ name: "node" });
    expect(top!.cpuPercent).toBeGreaterThanOrEqual(50);
    expect(top!.commandLine).toContain(burner.token);
    expect(byCpu.map((p) => p.cpuPercent)).toEqual([...byCpu.map((p) => p.cpuPercent)].sort((a, b) => b - a));

    const byMemory = snapshot.topProcesses("memory", 10);
    expect(byMemory).toHaveLength(10);
    expect(byMemory.map((p) => p.memoryBytes)).toEqual([...byMemory.map((p) => p.memoryBytes)].sort((a, b) => b - a));
    expect(byMemory[0].memoryPercent).toBeCloseTo((byMemory[0].memoryBytes / snapshot.host.memoryTotalBytes) * 100);
    expect(snapshot.topProcesses("cpu", 0)).toEqual([]);
    expect(probe.stats).toEqual({ scans: 2, fastCycles: 1, spawns: 0, fdScans: 0 });
  });

  it("hands out command lines with known secrets and secret flags redacted, and still matches by the whole line", async () => {
    const secret = `canary-${Date.now()}`;
    const child = await startNodeChild(IDLE_SCRIPT, ["backup.js", `--password=${secret}`, "--token", "flag-value-123", `postgres://app:${secret}x@db/app`]);
    const probe = createProbe({
      homeDir: home,
      selfPid: process.pid,
      services: [service("backup", { kind: "process", process: "node", args: `--password=${secret}` })],
      redact: createRedactor([secret]),
    });
    const snapshot = await probe.sample();
    expect(observed(snapshot, "backup")).toMatchObject({ up: true, pids: [child.pid] });
    const shown = snapshot.topProcesses("memory", 100_000).find((p) => p.pid === child.pid);
    expect(shown!.commandLine).toContain("backup.js --password=[REDACTED] --token [REDACTED] postgres://app:[REDACTED]@db/app");
    expect(JSON.stringify(snapshot.topProcesses("cpu", 100_000))).not.toMatch(new RegExp(`${secret}|flag-value-123`));
  });

  it("sees a killed service go down, and a stale pidfile as down", async () => {
    const agent = await startIdleChild();
    const daemon = await startIdleChild();
    const pidfile = join(home, "stale.pid");
    writeFileSync(pidfile, String(daemon.pid));
    const probe = createProbe({
      homeDir: home,
      selfPid: process.pid,
      services: [
        service("agent", { kind: "process", process: "node", args: agent.token }),
        service("daemon", { kind: "pidfile", pidfile }),
      ],
    });
    const before = await probe.sample();
    expect(observed(before, "agent").up).toBe(true);
    expect(observed(before, "daemon").up).toBe(true);

    await stopChild(agent);
    await stopChild(daemon);
    const after = await probe.sample();
    expect(observed(after, "agent")).toMatchObject({ up: false, pids: [], processCount: 0 });
    expect(observed(after, "agent").startedAt).toBeUndefined();
    expect(observed(after, "daemon")).toMatchObject({ up: false, pids: [] });
  });

  it("never counts gaia's own process as a service", async () => {
    const lookalike = await startIdleChild();
    // Pretend the child is gaia: its command line matches the service, but it is excluded.
    const probe = createProbe({
      homeDir: home,
      selfPid: lookalike.pid,
      services: [service("agent", { kind: "process", process: "node", args: lookalike.token })],
    });
    expect(observed(await probe.sample(), "agent").up).toBe(false);
  });

  it("without /proc, falls back to ps and counts the child processes that costs", async () => {
    const agent = await startIdleChild();
    const probe = createProbe({
      homeDir: home,
      selfPid: process.pid,
      portable: true,
      services: [service("agent", { kind: "process", process: "node", args: agent.token })],
    });
    const { result, spawned } = await countingSpawns(() => probe.sample());
    expect(spawned).toBeGreaterThanOrEqual(1); // find-process's `ps` at least (pidusage reads /proc on Linux)
    expect(probe.stats.spawns).toBe(2);
    expect(probe.stats.scans).toBe(1);
    expect(observed(result, "agent")).toMatchObject({ up: true, pids: [agent.pid] });
    expect(observed(result, "agent").memoryBytes).toBeGreaterThan(1024 * 1024);
  });
});
