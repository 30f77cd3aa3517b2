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
import { readUnitCgroup, UnitCgroups } from "../../monitor/unit-cgroup.js";
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

const daemon = findDbusDaemon();

describe("cgroup of a unit", () => {
  it("reads v2 memory, CPU time and the processes of the unit and its sub-cgroups", () => {
    const root = tempDir("gaia-cgroup-");
    fakeCgroup(root, "system.slice/web.service", { pids: [30, 10], memory: 5_000_000, cpuUsec: 1234 });
    fakeCgroup(root, "system.slice/web.service/worker", { pids: [20] });
    expect(readUnitCgroup(root, "/system.slice/web.service")).toEqual({ path: join(root, "system.slice/web.service"), pids: [10, 20, 30], memoryBytes: 5_000_000, cpuUsageUs: 1234 });
  });
  it("gives v2 CPU as % of one core between two reads, and the main pid alone without a cgroup", () => {
    const root = tempDir("gaia-cgroup-");
    fakeCgroup(root, "system.slice/web.service", { pids: [101, 102], memory: 64 * 1024 * 1024, cpuUsec: 1_000_000 });
    let clock = 1_000_000;
    const cgroups = new UnitCgroups(root, () => clock);
    const unit = { controlGroup: "/system.slice/web.service", mainPid: 101 };
    expect(cgroups.figures("web", unit)).toEqual({ pids: [101, 102], memoryBytes: 64 * 1024 * 1024, cpuPercent: 0 });
    // 0.5 s of CPU over 2 s: 25% of one core.
    fakeCgroup(root, "system.slice/web.service", { pids: [101, 102], memory: 64 * 1024 * 1024, cpuUsec: 1_500_000 });
    clock += 2000;
    expect(cgroups.figures("web", unit).cpuPercent).toBeCloseTo(25, 5);
    expect(cgroups.figures("other", { controlGroup: "/system.slice/other.service", mainPid: 7 })).toEqual({ pids: [7] });
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
    systemd.set("web.service", { activeState: "active", subState: "running", mainPid: 101, controlGroup: "/system.slice/web.service", activeEnterTimestamp: Date.UTC(2026, 0, 1) * 1000 });
    systemd.set("db.service", { activeState: "failed", subState: "failed", result: "exit-code", execMainCode: 1, execMainStatus: 1 });
    systemd.set("loop.service", { activeState: "activating", subState: "auto-restart", result: "exit-code", nRestarts: 3, execMainCode: 1, execMainStatus: 2 });
    systemd.set("backup.service", { activeState: "inactive", subState: "dead", type: "oneshot", result: "success" });
    systemd.set("sync.service", { activeState: "inactive", subState: "dead", type: "oneshot", result: "exit-code", execMainCode: 1, execMainStatus: 4 });
    systemd.set("backup.timer", { activeState: "active", subState: "waiting" });
    const checker = createUnitChecker({ busAddress: bus.address });
    cleanups.push(() => checker.close());
    expect(await checker.checkOne("web.service")).toMatchObject({ up: true, controlGroup: "/system.slice/web.service", mainPid: 101, startedAt: new Date(Date.UTC(2026, 0, 1)), unit: { activeState: "active", subState: "running", mainPid: 101 } });
    expect(await checker.checkOne("db.service")).toMatchObject({ up: false, unit: { activeState: "failed", exitStatus: 1 } });
    expect(await checker.checkOne("loop.service")).toMatchObject({ up: false, unit: { activeState: "activating", subState: "auto-restart", restarts: 3, exitStatus: 2 } });
    expect(await checker.checkOne("backup.service")).toMatchObject({ up: true, unit: { activeState: "inactive", type: "oneshot", result: "success" } });
    expect(await checker.checkOne("sync.service")).toMatchObject({ up: false, unit: { activeState: "inactive", type: "oneshot", exitStatus: 4 } });
    expect(await checker.checkOne("backup.timer")).toMatchObject({ up: true, unit: { activeState: "active", subState: "waiting" } });
    expect(await checker.checkOne("gone.service")).toMatchObject({ up: false, unit: { activeState: "missing" } });
    // Not loaded: GetUnit says NoSuchUnit, then LoadUnit gives its path.
    expect(systemd.calls).toContain("GetUnit gone.service");
    expect(systemd.calls).toContain("LoadUnit gone.service");
  });

  it("reads 20 units at once over one connection without piling listeners on it", async () => {
    const { bus, systemd } = await stubSystemd();
    const units = Array.from({ length: 20 }, (_, i) => `u${i}.service`);
    for (const unit of units) systemd.set(unit, { activeState: "active", subState: "running" });
    const checker = createUnitChecker({ busAddress: bus.address });
    cleanups.push(() => checker.close());
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    cleanups.push(() => void process.off("warning", onWarning));
    for (let round = 0; round < 3; round++) expect((await Promise.all(units.map((u) => checker.checkOne(u)))).every((c) => c.up)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });

  it("gives each call a deadline: a systemd that never answers reads as unknown (timeout), and answers again later", async () => {
    const { bus, systemd } = await stubSystemd();
    systemd.set("web.service", { activeState: "active", subState: "running" });
    const checker = createUnitChecker({ busAddress: bus.address, timeoutMs: 300 });
    cleanups.push(() => checker.close());
    systemd.silent = true;
    const started = Date.now();
    expect(await checker.checkOne("web.service")).toMatchObject({ up: false, unit: { activeState: "unknown", problem: "timeout" } });
    expect(Date.now() - started).toBeLessThan(2000);
    systemd.silent = false;
    expect(await checker.checkOne("web.service")).toMatchObject({ up: true });
  });

  it("reconnects after the bus went away and came back", async () => {
    const first = await stubSystemd();
    first.systemd.set("web.service", { activeState: "active", subState: "running" });
    const checker = createUnitChecker({ busAddress: first.bus.address, timeoutMs: 1000 });
    cleanups.push(() => checker.close());
    expect((await checker.checkOne("web.service")).up).toBe(true);

    // dbus-daemon restarts on the same socket (a new daemon, a new systemd connection).
    first.systemd.stop();
    await first.bus.stop();
    // Told at once, not at the call's deadline: the connection's end fails the call, a new connection finds no socket.
    const asked = Date.now();
    expect(await checker.checkOne("web.service")).toMatchObject({ up: false, unit: { activeState: "unknown", problem: "ENOENT" } });
    expect(Date.now() - asked).toBeLessThan(900);

    const again = await PrivateBus.start({ dir: first.bus.dir });
    cleanups.push(() => again.remove());
    expect(again.address.startsWith(`unix:path=${first.bus.socket}`)).toBe(true);
    const systemd = await FakeSystemd.start(again.address);
    cleanups.push(() => systemd.stop());
    systemd.set("web.service", { activeState: "failed", subState: "failed", result: "exit-code", execMainCode: 1, execMainStatus: 1 });
    // The same checker, on the same address: a new connection to the new daemon.
    expect(await checker.checkOne("web.service")).toMatchObject({ up: false, unit: { activeState: "failed", exitStatus: 1 } });
  });

  it("names a missing socket and a policy that denies systemd", async () => {
    const missing = createUnitChecker({ busAddress: `unix:path=${join(tempDir("gaia-nobus-"), "system_bus_socket")}`, timeoutMs: 1000 });
    cleanups.push(() => missing.close());
    expect(await missing.checkOne("web.service")).toMatchObject({ up: false, unit: { activeState: "unknown", problem: "ENOENT" } });

    const { bus, systemd } = await stubSystemd({ denySystemd: true });
    systemd.set("web.service", { activeState: "active", subState: "running" });
    const denied = createUnitChecker({ busAddress: bus.address, timeoutMs: 1000 });
    cleanups.push(() => denied.close());
    expect(await denied.checkOne("web.service")).toMatchObject({ up: false, unit: { activeState: "unknown", problem: "AccessDenied" } });
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
