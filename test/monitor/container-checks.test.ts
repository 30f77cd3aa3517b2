import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuPercent, createContainerChecker } from "../../monitor/container-checks.js";
import { restartContainer } from "../../monitor/docker-engine.js";
import { FakeDocker } from "../fakes/docker.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeDocker(): Promise<FakeDocker> {
  const dir = mkdtempSync(join(tmpdir(), "gaia-docker-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const docker = await FakeDocker.start(join(dir, "docker.sock"));
  cleanups.push(() => docker.stop());
  return docker;
}
const service = (name: string, container = name) => ({ name, match: { kind: "container" as const, container } });

describe("container checks through the Docker Engine API", () => {
  it("tells running, restarting, unhealthy, exited with its code, and missing apart", async () => {
    const docker = await fakeDocker();
    docker.set("web", { status: "running", health: "healthy", memoryBytes: 1000 });
    docker.set("loop", { status: "restarting", restartCount: 7 });
    docker.set("sick", { status: "running", health: "unhealthy" });
    docker.set("done", { status: "exited", exitCode: 137 });
    const results = await createContainerChecker(docker.socket).check([service("web"), service("loop"), service("sick"), service("done"), service("gone"), { name: "p", match: { kind: "process", process: "x" } }]);
    expect([...results.keys()]).toEqual(["web", "loop", "sick", "done", "gone"]);
    expect(results.get("web")).toMatchObject({ up: true, memoryBytes: 1000, container: { state: "running", health: "healthy" } });
    expect(results.get("loop")).toMatchObject({ up: false, container: { state: "restarting", restartCount: 7 } });
    expect(results.get("sick")).toMatchObject({ up: false, container: { state: "unhealthy" } });
    expect(results.get("done")).toMatchObject({ up: false, container: { state: "exited", exitCode: 137 } });
    expect(results.get("gone")).toMatchObject({ up: false, container: { state: "missing" } });
    // Stats are asked for once, not as a stream, and only for running containers.
    expect(docker.requests.filter((r) => r.includes("/stats")).every((r) => r.includes("stream=false"))).toBe(true);
    expect(docker.requests.some((r) => r.includes("/containers/done/stats"))).toBe(false);
  });

  it("reports an unreachable socket with its error code", async () => {
    const results = await createContainerChecker("/nonexistent/docker.sock").check([service("web")]);
    expect(results.get("web")).toMatchObject({ up: false, container: { state: "unreachable", problem: "ENOENT" } });
  });

  it("computes CPU as % of one core between two probes", async () => {
    const docker = await fakeDocker();
    docker.set("web", { status: "running", cpuPerCallNs: 250_000_000 });
    const checker = createContainerChecker(docker.socket);
    expect((await checker.check([service("web")])).get("web")!.cpuPercent).toBe(0);
    expect((await checker.check([service("web")])).get("web")!.cpuPercent).toBeCloseTo(25);
    expect(cpuPercent(undefined, { state: "running", restartCount: 0 })).toBe(0);
  });

  it("restarts a container, and refuses an unknown one with Docker's message", async () => {
    const docker = await fakeDocker();
    docker.set("web", { status: "exited", exitCode: 1 });
    await restartContainer(docker.socket, "web", 5000);
    expect(docker.restarts).toEqual(["web"]);
    await expect(restartContainer(docker.socket, "nope", 5000)).rejects.toThrow("Docker answered 404: No such container: nope");
  });
});
