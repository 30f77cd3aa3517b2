import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditEvent } from "../../entities/audit-event.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import type { ServiceConfig } from "../../config/types.js";
import { RestartInProgress, ServiceRestarter } from "../../incidents/service-restarter.js";
import { createRedactor } from "../../config/redact.js";
import { tempDatabase } from "../helpers/temp-database.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { FAKE_GITHUB_TOKEN } from "../helpers/fake-tokens.js";
import { FakeSystemd, findDbusDaemon, PrivateBus } from "../fakes/systemd.js";

const service = (restart: string): ServiceConfig => ({ name: "agent", match: { kind: "process", process: "agent" }, restart });

describe("the Restart button's command", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function makeRestarter(timeoutMs = 10_000) {
    const db = await tempDatabase();
    const home = makeTempHome();
    cleanups.push(() => db.close(), () => home.cleanup());
    const audit = new AuditTrail(db.dataSource);
    return {
      home: home.home,
      restarter: new ServiceRestarter({ home: home.home, tmpDir: join(home.home, ".tmp"), audit, redact: createRedactor(["hunter2-secret-value"]), timeoutMs }),
      events: () => db.dataSource.getRepository(AuditEvent).find({ order: { id: "ASC" } }),
    };
  }

  it("runs the command in the home folder and reports its exit code and the end of its output, secrets redacted, audited", async () => {
    const { restarter, events, home } = await makeRestarter();
    const result = await restarter.restart(service(`pwd; echo 'token ${FAKE_GITHUB_TOKEN}'; echo hunter2-secret-value >&2; exit 0`), "telegram:7");
    expect(result).toMatchObject({ service: "agent", exitCode: 0, timedOut: false });
    expect(result.outputTail).toBe(`${home}\ntoken [REDACTED]\n[REDACTED]`);
    // The output file under .tmp/ is rewritten redacted too, and private.
    const file = join(home, ".tmp", "restart-agent.log");
    expect(readFileSync(file, "utf8")).toBe(`${home}\ntoken [REDACTED]\n[REDACTED]\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const failed = await restarter.restart(service("echo nope; exit 3"), "telegram:7");
    expect([failed.exitCode, failed.outputTail]).toEqual([3, "nope"]);
    expect((await events()).map((e) => [e.kind, e.actor, e.message])).toEqual([
      ["service.restart.requested", "telegram:7", "Restart of agent requested"],
      ["service.restart", "telegram:7", "Restart of agent exited with code 0"],
      ["service.restart.requested", "telegram:7", "Restart of agent requested"],
      ["service.restart", "telegram:7", "Restart of agent exited with code 3"],
    ]);
  });

  it("kills a command that outlives its timeout, with whatever it started", async () => {
    const { restarter, home } = await makeRestarter(300);
    const started = Date.now();
    const result = await restarter.restart(service(`sleep 30 & echo $! > child.pid; sleep 30`), "telegram:7");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ exitCode: null, timedOut: true });
    const child = Number(readFileSync(join(home, "child.pid"), "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(`/proc/${child}`) && !readFileSync(`/proc/${child}/stat`, "utf8").split(") ")[1].startsWith("Z")).toBe(false);
  });

  it("returns as soon as the command exits even if it left the service running in the background", async () => {
    const { restarter, home } = await makeRestarter();
    const started = Date.now();
    const result = await restarter.restart(service(`sleep 30 & echo $! > service.pid; echo started`), "telegram:7");
    expect(Date.now() - started).toBeLessThan(3000);
    expect([result.exitCode, result.outputTail]).toEqual([0, "started"]);
    process.kill(Number(readFileSync(join(home, "service.pid"), "utf8")), "SIGKILL");
  });

  it("runs one restart of a service at a time", async () => {
    const { restarter } = await makeRestarter();
    const first = restarter.restart(service("sleep 0.3"), "telegram:1");
    expect(restarter.isRunning("agent")).toBe(true);
    await expect(restarter.restart(service("true"), "telegram:2")).rejects.toBeInstanceOf(RestartInProgress);
    expect((await first).exitCode).toBe(0);
    expect(restarter.isRunning("agent")).toBe(false);
  });

  it.skipIf(!findDbusDaemon())("restarts a unit without a restart command through Manager.RestartUnit, and says what to grant when systemd refuses", async () => {
    const bus = await PrivateBus.start();
    cleanups.push(() => bus.remove());
    const systemd = await FakeSystemd.start(bus.address);
    cleanups.push(() => systemd.stop());
    systemd.set("nginx.service", { activeState: "failed", subState: "failed" });
    const db = await tempDatabase();
    const home = makeTempHome();
    cleanups.push(() => db.close(), () => home.cleanup());
    const restarter = new ServiceRestarter({ home: home.home, tmpDir: join(home.home, ".tmp"), audit: new AuditTrail(db.dataSource), systemBusAddress: bus.address });
    const web: ServiceConfig = { name: "web", match: { kind: "unit", unit: "nginx.service" } };
    expect(await restarter.restart(web, "telegram:7")).toMatchObject({ service: "web", exitCode: 0, timedOut: false });
    expect(systemd.restarts).toEqual(["nginx.service"]);
    systemd.refuseRestart = true;
    const refused = await restarter.restart(web, "telegram:7");
    expect(refused.exitCode).toBeNull();
    expect(refused.error).toContain("InteractiveAuthorizationRequired");
    expect(refused.error).toContain("polkit's org.freedesktop.systemd1.manage-units for nginx.service");
    const messages = (await db.dataSource.getRepository(AuditEvent).find({ order: { id: "ASC" } })).map((e) => e.message);
    expect(messages[1]).toBe("Restarted unit nginx.service through systemd's D-Bus API");
    expect(messages[3]).toMatch(/^Restart of web \(unit nginx.service\) failed: systemd answered org.freedesktop.DBus.Error.InteractiveAuthorizationRequired/);
  });
});
