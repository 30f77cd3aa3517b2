/**
 * Unit checks against a stub systemd on a private dbus-daemon (test/fakes/systemd.ts) and a cgroup
 * tree faked in a temp folder: states, cgroup figures, each call's deadline, a bus that goes away
 * and comes back, a missing socket and a policy that denies systemd, and RestartUnit.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUnitChecker } from "../../monitor/unit-checks.js";
import { SystemdBus } from "../../monitor/systemd-bus.js";
import { readUnitCgroup } from "../../monitor/unit-cgroup.js";
import { FakeSystemd, findDbusDaemon, PrivateBus, unitObjectPath } from "../fakes/systemd.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A cgroup v2 folder for a unit, with its processes, memory and CPU time. */
function fakeCgroup(root: string, group: string, figures: { pids: number[]; memory?: number; cpuUsec?: number }): string {
  const dir = join(root, group);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cgroup.procs"), figures.pids.map((p) => `${p}\n`).join(""));
  if (figures.memory !== undefined) writeFileSync(join(dir, "memory.current"), `${figures.memory}\n`);
  if (figures.cpuUsec !== undefined) writeFileSync(join(dir, "cpu.stat"), `usage_usec ${figures.cpuUsec}\nuser_usec 1\nsystem_usec 1\n`);
  return dir;
}

async function stubSystemd(options: { denySystemd?: boolean } = {}): Promise<{ bus: PrivateBus; systemd: FakeSystemd }> {
  const bus = await PrivateBus.start(options);
  cleanups.push(() => bus.remove());
  const systemd = await FakeSystemd.start(bus.address);
  cleanups.push(() => systemd.stop());
  return { bus, systemd };
}

const service = (name: string, unit: string) => ({ name, match: { kind: "unit" as const, unit } });
const daemon = findDbusDaemon();

describe("cgroup of a unit", () => {
  it("reads v2 memory, CPU time and the processes of the unit and its sub-cgroups", () => {
    const root = tempDir("gaia-cgroup-");
    fakeCgroup(root, "system.slice/web.service", { pids: [30, 10], memory: 5_000_000, cpuUsec: 1234 });
    fakeCgroup(root, "system.slice/web.service/worker", { pids: [20] });
    expect(readUnitCgroup(root, "/system.slice/web.service")).toEqual({ path: join(root, "system.slice/web.service"), pids: [10, 20, 30], memoryBytes: 5_000_000, cpuUsageUs: 1234 });
  });
  it("on cgroup v1 finds the processes in the systemd hierarchy, without figures", () => {
    const root = tempDir("gaia-cgroup-");
    fakeCgroup(root, "systemd/system.slice/web.service", { pids: [7] });
    expect(readUnitCgroup(root, "/system.slice/web.service")).toEqual({ path: join(root, "systemd/system.slice/web.service"), pids: [7] });
    expect(readUnitCgroup(root, "/system.slice/gone.service")).toBeUndefined();
    expect(readUnitCgroup(root, "/../../etc")).toBeUndefined();
  });
});

describe.skipIf(!daemon)(`unit checks through systemd's D-Bus API${daemon ? "" : " (skipped: no dbus-daemon on this machine; install Debian's dbus package)"}`, () => {
  it("tells active, failed with its exit code, restarting in a loop, a good and a failed oneshot, and an unknown unit apart", async () => {
    const { bus, systemd } = await stubSystemd();
    const root = tempDir("gaia-cgroup-");
    fakeCgroup(root, "system.slice/web.service", { pids: [101, 102], memory: 64 * 1024 * 1024, cpuUsec: 1_000_000 });
    systemd.set("web.service", { activeState: "active", subState: "running", mainPid: 101, controlGroup: "/system.slice/web.service", activeEnterTimestamp: Date.UTC(2026, 0, 1) * 1000 });
    systemd.set("db.service", { activeState: "failed", subState: "failed", result: "exit-code", execMainCode: 1, execMainStatus: 1 });
    systemd.set("loop.service", { activeState: "activating", subState: "auto-restart", result: "exit-code", nRestarts: 3, execMainCode: 1, execMainStatus: 2 });
    systemd.set("backup.service", { activeState: "inactive", subState: "dead", type: "oneshot", result: "success" });
    systemd.set("sync.service", { activeState: "inactive", subState: "dead", type: "oneshot", result: "exit-code", execMainCode: 1, execMainStatus: 4 });
    systemd.set("backup.timer", { activeState: "active", subState: "waiting" });
    let clock = 1_000_000;
    const checker = createUnitChecker({ busAddress: bus.address, cgroupRoot: root, now: () => clock });
    cleanups.push(() => checker.close());
    const services = [service("web", "web.service"), service("db", "db.service"), service("loop", "loop.service"), service("backup", "backup.service"), service("sync", "sync.service"), service("timer", "backup.timer"), service("gone", "gone.service"), { name: "p", match: { kind: "process" as const, process: "x" } }];
    const first = await checker.check(services);
    expect([...first.keys()]).toEqual(["web", "db", "loop", "backup", "sync", "timer", "gone"]);
    expect(first.get("web")).toMatchObject({ up: true, pids: [101, 102], memoryBytes: 64 * 1024 * 1024, cpuPercent: 0, startedAt: new Date(Date.UTC(2026, 0, 1)), unit: { activeState: "active", subState: "running", mainPid: 101 } });
    expect(first.get("db")).toMatchObject({ up: false, unit: { activeState: "failed", exitStatus: 1 } });
    expect(first.get("loop")).toMatchObject({ up: false, unit: { activeState: "activating", subState: "auto-restart", restarts: 3, exitStatus: 2 } });
    expect(first.get("backup")).toMatchObject({ up: true, unit: { activeState: "inactive", type: "oneshot", result: "success" } });
    expect(first.get("sync")).toMatchObject({ up: false, unit: { activeState: "inactive", type: "oneshot", exitStatus: 4 } });
    expect(first.get("timer")).toMatchObject({ up: true, unit: { activeState: "active", subState: "waiting" } });
    expect(first.get("gone")).toMatchObject({ up: false, unit: { activeState: "missing" } });
    // Not loaded: GetUnit says NoSuchUnit, then LoadUnit gives its path; a timer has no Service interface to ask.
    expect(systemd.calls).toContain("GetUnit gone.service");
    expect(systemd.calls).toContain("LoadUnit gone.service");

    // 0.5 s of CPU over 2 s: 25% of one core.
    fakeCgroup(root, "system.slice/web.service", { pids: [101, 102], memory: 64 * 1024 * 1024, cpuUsec: 1_500_000 });
    clock += 2000;
    expect((await checker.check(services)).get("web")?.cpuPercent).toBeCloseTo(25, 5);
  });

  it("gives each call a deadline: a systemd that never answers reads as unknown (timeout), and answers again later", async () => {
    const { bus, systemd } = await stubSystemd();
    systemd.set("web.service", { activeState: "active", subState: "running" });
    const checker = createUnitChecker({ busAddress: bus.address, cgroupRoot: tempDir("gaia-cgroup-"), timeoutMs: 300 });
    cleanups.push(() => checker.close());
    systemd.silent = true;
    const started = Date.now();
    const silent = await checker.check([service("web", "web.service")]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(silent.get("web")).toMatchObject({ up: false, unit: { activeState: "unknown", problem: "timeout" } });
    systemd.silent = false;
    expect((await checker.check([service("web", "web.service")])).get("web")).toMatchObject({ up: true });
  });

  it("reconnects after the bus went away and came back", async () => {
    const first = await stubSystemd();
    first.systemd.set("web.service", { activeState: "active", subState: "running" });
    const checker = createUnitChecker({ busAddress: first.bus.address, cgroupRoot: tempDir("gaia-cgroup-"), timeoutMs: 1000 });
    cleanups.push(() => checker.close());
    expect((await checker.check([service("web", "web.service")])).get("web")?.up).toBe(true);

    // dbus-daemon restarts on the same socket (a new daemon, a new systemd connection).
    first.systemd.stop();
    await first.bus.stop();
    // Told at once, not at the call's deadline: the connection's end fails the call, a new connection finds no socket.
    const asked = Date.now();
    const down = await checker.check([service("web", "web.service")]);
    expect(Date.now() - asked).toBeLessThan(900);
    expect(down.get("web")).toMatchObject({ up: false, unit: { activeState: "unknown", problem: "ENOENT" } });

    const again = await PrivateBus.start({ dir: first.bus.dir });
    cleanups.push(() => again.remove());
    expect(again.address.startsWith(`unix:path=${first.bus.socket}`)).toBe(true);
    const systemd = await FakeSystemd.start(again.address);
    cleanups.push(() => systemd.stop());
    systemd.set("web.service", { activeState: "failed", subState: "failed", result: "exit-code", execMainCode: 1, execMainStatus: 1 });
    // The same checker, on the same address: a new connection to the new daemon.
    expect((await checker.check([service("web", "web.service")])).get("web")).toMatchObject({ up: false, unit: { activeState: "failed", exitStatus: 1 } });
  });

  it("names a missing socket and a policy that denies systemd", async () => {
    const missing = createUnitChecker({ busAddress: `unix:path=${join(tempDir("gaia-nobus-"), "system_bus_socket")}`, cgroupRoot: "/nonexistent", timeoutMs: 1000 });
    cleanups.push(() => missing.close());
    expect((await missing.check([service("web", "web.service")])).get("web")).toMatchObject({ up: false, unit: { activeState: "unknown", problem: "ENOENT" } });

    const { bus, systemd } = await stubSystemd({ denySystemd: true });
    systemd.set("web.service", { activeState: "active", subState: "running" });
    const denied = createUnitChecker({ busAddress: bus.address, cgroupRoot: "/nonexistent", timeoutMs: 1000 });
    cleanups.push(() => denied.close());
    expect((await denied.check([service("web", "web.service")])).get("web")).toMatchObject({ up: false, unit: { activeState: "unknown", problem: "AccessDenied" } });
  });

  it("restarts a unit through Manager.RestartUnit", async () => {
    const { bus, systemd } = await stubSystemd();
    systemd.set("web.service", { activeState: "failed", subState: "failed" });
    const client = new SystemdBus(bus.address, 1000);
    cleanups.push(() => client.close());
    expect(await client.restartUnit("web.service")).toBe("/org/freedesktop/systemd1/job/1");
    expect(systemd.restarts).toEqual(["web.service"]);
    await expect(client.restartUnit("nope.service")).rejects.toThrow(/NoSuchUnit/);
    expect(unitObjectPath("web-1@x.service")).toBe("/org/freedesktop/systemd1/unit/web_2d1_40x_2eservice");
  });
});
