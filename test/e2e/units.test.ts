/**
 * systemd units as an admin meets them: the real `gaia start`, the fake Telegram, and a stub
 * systemd on a private dbus-daemon (DBUS_SYSTEM_BUS_ADDRESS) with a cgroup tree faked in the home
 * folder (systemd.cgroups). A unit that fails is down with its exit code, the Restart button
 * restarts it through Manager.RestartUnit, it recovers; a oneshot's failed run is an alert too; a
 * systemd that stops answering reads as down with the reason; gaia check says what to do.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN, askStatus, eventually, monitoringHarness, restartFromAlert, type MonitoringHarness } from "./monitoring-harness.js";
import { FakeSystemd, findDbusDaemon, PrivateBus } from "../fakes/systemd.js";
import { runGaia } from "../helpers/gaia-process.js";

const daemon = findDbusDaemon();
const MiB = 1024 * 1024;

/** The unit's cgroup v2 folder under the faked root: its processes, memory.current and cpu.stat. */
function writeCgroup(root: string, group: string, figures: { pids: number[]; memory: number; cpuUsec: number }): void {
  const dir = join(root, group);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cgroup.procs"), figures.pids.map((p) => `${p}\n`).join(""));
  writeFileSync(join(dir, "memory.current"), `${figures.memory}\n`);
  writeFileSync(join(dir, "cpu.stat"), `usage_usec ${figures.cpuUsec}\nuser_usec 0\nsystem_usec 0\n`);
}

const settings = (home: string) =>
  [
    "systemd:",
    `  cgroups: ${join(home, "cgroup")}`,
    "services:",
    "  - name: web",
    "    match: { unit: web.service }",
    "  - name: backup",
    "    match: { unit: backup.service }",
  ].join("\n");

describe.skipIf(!daemon)(`units: match by name through systemd's D-Bus API${daemon ? "" : " (skipped: no dbus-daemon on this machine; .ci/run installs Debian's dbus package)"}`, () => {
  let harness: MonitoringHarness | undefined;
  let bus: PrivateBus | undefined;
  let systemd: FakeSystemd | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump(), systemd?.calls.slice(-20));
    await harness?.cleanup();
    systemd?.stop();
    await bus?.remove();
    harness = undefined;
    systemd = undefined;
    bus = undefined;
  });

  it("alerts a failed unit with its exit code, restarts it through systemd, sees it recover, and alerts a oneshot's failed run", async () => {
    const h = (harness = await monitoringHarness(({ home }) => settings(home)));
    bus = await PrivateBus.start();
    systemd = await FakeSystemd.start(bus.address);
    const cgroupRoot = join(h.home, "cgroup");
    let cpuUsec = 0;
    writeCgroup(cgroupRoot, "system.slice/web.service", { pids: [4242, 4243], memory: 96 * MiB, cpuUsec });
    const running = { activeState: "active", subState: "running", mainPid: 4242, controlGroup: "/system.slice/web.service", activeEnterTimestamp: (Date.now() - 3_600_000) * 1000 };
    systemd.set("web.service", running);
    systemd.set("backup.service", { activeState: "inactive", subState: "dead", type: "oneshot", result: "success" });
    // The unit burns about half a core: 0.5 s of CPU time per second.
    const started = Date.now();
    const burn = setInterval(() => {
      cpuUsec = (Date.now() - started) * 500;
      writeCgroup(cgroupRoot, "system.slice/web.service", { pids: [4242, 4243], memory: 96 * MiB, cpuUsec });
    }, 200);
    try {
      h.startGaia({ DBUS_SYSTEM_BUS_ADDRESS: bus.address });
      await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
      await eventually(async () => (await h.metric('gaia_service_up{service="web"}')) === 1, 15_000, "web up in /metrics");
      expect(await h.metric('gaia_service_up{service="backup"}')).toBe(1);
      expect(await h.metric('gaia_service_memory_bytes{service="web"}')).toBe(96 * MiB);

      let statusText = "";
      await eventually(
        async () => {
          statusText = await askStatus(h.tg);
          return /web · active \(running\) · up 1h · main pid 4242 · 2 processes · CPU (4\d|5\d)% · 96(\.0)? MiB$/m.test(statusText);
        },
        30_000,
        "the unit's state, pid, processes, CPU and memory in /status",
      ).catch((error: Error) => {
        throw new Error(`${error.message}; the last /status:\n${statusText}`);
      });
      expect(statusText).toMatch(/backup · inactive \(last run succeeded\)$/m);
    } finally {
      clearInterval(burn);
    }

    systemd.set("web.service", { activeState: "failed", subState: "failed", result: "exit-code", execMainCode: 1, execMainStatus: 1, controlGroup: "/system.slice/web.service" });
    const down = await h.tg.waitForMessage(/web is down/, { timeoutMs: 15_000 });
    expect(down.plainText).toContain("🔴 web is down");
    expect(down.plainText).toContain("Unit: failed (exit 1)");
    expect(down.plainText).toContain("Watched by: systemd unit web.service");
    await restartFromAlert(h.tg, down, "web");
    expect(systemd.restarts).toEqual(["web.service"]);
    // systemd runs the restart job: the unit is active again.
    systemd.set("web.service", running);
    const up = await h.tg.waitForMessage(/web is back up/, { timeoutMs: 15_000 });
    expect(up.plainText).toContain("🟢 web is back up");

    // What a timer runs: a oneshot whose run failed is inactive again, and down.
    systemd.set("backup.service", { activeState: "inactive", subState: "dead", type: "oneshot", result: "exit-code", execMainCode: 1, execMainStatus: 3 });
    const backup = await h.tg.waitForMessage(/backup is down/, { timeoutMs: 15_000 });
    expect(backup.plainText).toContain("Unit: inactive, last run failed (exit 3)");
    systemd.set("backup.service", { activeState: "inactive", subState: "dead", type: "oneshot", result: "success" });
    await h.tg.waitForMessage(/backup is back up/, { timeoutMs: 15_000 });

    // A systemd that stops answering: each call ends at its deadline, the unit reads as down with the reason.
    systemd.silent = true;
    const hung = await h.tg.waitForMessage(/web is down/, { timeoutMs: 30_000, newOnly: true });
    expect(hung.plainText).toContain("Unit: systemd not reachable (no answer in time; gaia check says what to do)");
    systemd.silent = false;
    // Its fourth change in a short while: the flapping notice stands for the "back up" message; /metrics says it.
    await eventually(async () => (await h.metric('gaia_service_up{service="web"}')) === 1, 30_000, "web up again in /metrics once systemd answers");

    const audit = h.query<{ message: string }>("SELECT message FROM events").map((r) => r.message);
    expect(audit).toContain("Restarted unit web.service through systemd's D-Bus API");
    // /history: the unit's incidents and the restart, like any service's.
    const historyWaiting = h.tg.waitForMessage(/^History of web/, { chatId: ADMIN, newOnly: true, timeoutMs: 15_000 });
    h.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/history web" });
    const history = (await historyWaiting).plainText;
    expect(history).toContain("Restarted unit web.service through systemd's D-Bus API");
    expect(history).toMatch(/🟢 web down, lasted/);
  }, 150_000);

  it("gaia check says what to do without a system bus, and what each unit is with one", async () => {
    const h = (harness = await monitoringHarness(({ home }) => settings(home)));
    const socket = join(h.home, "no-bus", "system_bus_socket");
    const missing = await runGaia(["check", "--offline"], { home: h.home, env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` } });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`service web: unit web.service: no system bus at ${socket}`);
    expect(missing.stdout).toContain("set DBUS_SYSTEM_BUS_ADDRESS");

    bus = await PrivateBus.start();
    systemd = await FakeSystemd.start(bus.address);
    systemd.set("web.service", { activeState: "activating", subState: "auto-restart", result: "exit-code", nRestarts: 3, execMainCode: 1, execMainStatus: 2 });
    systemd.set("backup.service", { activeState: "inactive", subState: "dead", type: "oneshot", result: "success" });
    const seen = await runGaia(["check", "--offline"], { home: h.home, env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    expect(seen.stdout).toContain("service web: unit web.service is activating (auto-restart, 3 restarts; exit 2) (it would be reported down)");
    expect(seen.stdout).toContain("service backup: unit backup.service is inactive (last run succeeded)");
  }, 60_000);
});
