/**
 * Docker containers as an admin meets them: the real `gaia start`, the fake Telegram, and a fake
 * Docker Engine API on a unix socket in the home folder (docker.socket). A container that exits is
 * down with its exit code, the Restart button restarts it through the API, /status shows its
 * state, CPU and memory; gaia check says what to grant when the socket cannot be opened.
 */
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { askStatus, eventually, monitoringHarness, restartFromAlert, type MonitoringHarness } from "./monitoring-harness.js";
import { FakeDocker } from "../fakes/docker.js";
import { runGaia } from "../helpers/gaia-process.js";

describe("containers: match by name through the Docker Engine API", () => {
  let harness: MonitoringHarness | undefined;
  let docker: FakeDocker | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump(), docker?.requests.slice(-20));
    await harness?.cleanup();
    await docker?.stop();
    harness = undefined;
    docker = undefined;
  });

  it("reports an exited container with its code, restarts it with the Restart button, and shows its state, CPU and memory", async () => {
    const h = (harness = await monitoringHarness(({ home }) =>
      ["docker:", `  socket: ${join(home, "docker.sock")}`, "services:", "  - name: jellyfin", "    match: { container: jellyfin }"].join("\n"),
    ));
    docker = await FakeDocker.start(join(h.home, "docker.sock"));
    docker.set("jellyfin", { status: "running", health: "healthy", cpuPerCallNs: 5e8, memoryBytes: 300 * 1024 * 1024 });
    h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await eventually(async () => (await h.metric('gaia_service_up{service="jellyfin"}')) === 1, 15_000, "jellyfin up in /metrics");
    expect(await h.metric('gaia_service_memory_bytes{service="jellyfin"}')).toBe(300 * 1024 * 1024);

    // 0.5 s of CPU per 1 s of host CPU time between probes: 50% of one core (from the second probe on).
    let statusText = "";
    await eventually(
      async () => {
        statusText = await askStatus(h.tg);
        return /CPU 50%/.test(statusText);
      },
      30_000,
      "CPU between two probes in /status",
    );
    expect(statusText).toMatch(/jellyfin · running, healthy · up \S+ · CPU 50% · 300 MiB/);

    docker.set("jellyfin", { status: "exited", exitCode: 137 });
    const down = await h.tg.waitForMessage(/jellyfin is down/, { timeoutMs: 15_000 });
    expect(down.plainText).toContain("Container: exited with code 137");
    expect(down.plainText).toContain("Watched by: Docker container jellyfin");
    await restartFromAlert(h.tg, down, "jellyfin");
    expect(docker.restarts).toEqual(["jellyfin"]);
    await h.tg.waitForMessage(/jellyfin is back up/, { timeoutMs: 15_000 });

    // Unhealthy (HEALTHCHECK failing) counts as down too.
    docker.set("jellyfin", { status: "running", health: "unhealthy" });
    const unhealthy = await h.tg.waitForMessage(/jellyfin is down/, { timeoutMs: 15_000, newOnly: true });
    expect(unhealthy.plainText).toContain("Container: running but unhealthy");

    const audit = h.query<{ message: string }>("SELECT message FROM events").map((r) => r.message);
    expect(audit).toContain("Restarted container jellyfin through the Docker API");
  }, 120_000);

  it("gaia check says what to grant when the socket cannot be opened", async () => {
    const h = (harness = await monitoringHarness(({ home }) =>
      ["docker:", `  socket: ${join(home, "docker.sock")}`, "services:", "  - name: jellyfin", "    match: { container: jellyfin }"].join("\n"),
    ));
    const missing = await runGaia(["check", "--offline"], { home: h.home });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`no Docker socket at ${join(h.home, "docker.sock")}`);
    docker = await FakeDocker.start(join(h.home, "docker.sock"));
    docker.set("jellyfin", { status: "running" });
    const ok = await runGaia(["check", "--offline"], { home: h.home });
    expect(ok.stdout).toContain("service jellyfin: container jellyfin is running");
  }, 60_000);
});
