/**
 * The probe with unit services, against a stub systemd on a private dbus-daemon: systemd's side
 * runs in the background (a bus that never answers never holds a cycle up), and on cgroup v1 a
 * unit's figures are its processes' own, read from the process table.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UNIT_CALL_TIMEOUT_MS } from "../../config/types.js";
import { createProbe, type CheckingProbe } from "../../monitor/probe.js";
import { FakeSystemd, findDbusDaemon, PrivateBus } from "../fakes/systemd.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const daemon = findDbusDaemon();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setUp(): Promise<{ systemd: FakeSystemd; probe: CheckingProbe; cgroupRoot: string }> {
  const bus = await PrivateBus.start();
  cleanups.push(() => bus.remove());
  const systemd = await FakeSystemd.start(bus.address);
  cleanups.push(() => systemd.stop());
  const home = mkdtempSync(join(tmpdir(), "gaia-probe-units-"));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const cgroupRoot = join(home, "cgroup");
  const probe = createProbe({
    homeDir: home,
    services: [{ name: "web", match: { kind: "unit", unit: "web.service" } }],
    selfPid: process.pid,
    systemBusAddress: bus.address,
    cgroupRoot,
    checkEveryMs: 200,
  });
  cleanups.push(() => probe.close());
  return { systemd, probe, cgroupRoot };
}

describe.skipIf(!daemon)(`the probe with unit services${daemon ? "" : " (skipped: no dbus-daemon on this machine)"}`, () => {
  it("never waits for systemd: a silent bus leaves the unit unchecked, then down past the call's deadline", async () => {
    const { systemd, probe } = await setUp();
    systemd.set("web.service", { activeState: "active", subState: "running" });
    systemd.silent = true;
    const started = Date.now();
    const first = await probe.sample();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(first.services[0]).toMatchObject({ name: "web", unchecked: true });
    await sleep(UNIT_CALL_TIMEOUT_MS + 500);
    const later = Date.now();
    const second = await probe.sample();
    expect(Date.now() - later).toBeLessThan(1000);
    expect(second.services[0]).toMatchObject({ name: "web", up: false, unit: { activeState: "unknown", problem: "timeout" } });
    systemd.silent = false;
    await sleep(UNIT_CALL_TIMEOUT_MS);
    expect((await probe.sample()).services[0]).toMatchObject({ up: true, unit: { activeState: "active" } });
  }, 20_000);

  it("on cgroup v1 sums the unit's processes from the process table", async () => {
    const { systemd, probe, cgroupRoot } = await setUp();
    // The v1 name=systemd hierarchy has the processes only; this test's own process stands for the unit's.
    const group = join(cgroupRoot, "systemd", "system.slice", "web.service");
    mkdirSync(group, { recursive: true });
    writeFileSync(join(group, "cgroup.procs"), `${process.pid}\n`);
    systemd.set("web.service", { activeState: "active", subState: "running", mainPid: process.pid, controlGroup: "/system.slice/web.service" });
    await probe.sample();
    let seen;
    for (let i = 0; i < 50 && !seen?.unit; i++) {
      await sleep(100);
      seen = (await probe.sample()).services[0];
    }
    expect(seen).toMatchObject({ up: true, pids: [process.pid], processCount: 1, unit: { mainPid: process.pid } });
    // The process's own resident memory, as a process: service would show it.
    expect(seen!.memoryBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(seen!.startedAt).toBeInstanceOf(Date);
  }, 20_000);
});
