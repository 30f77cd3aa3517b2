/**
 * The probe never waits for an endpoint or a container: real HTTP servers on loopback and a fake
 * Docker Engine API on a unix socket, some of which accept a connection and never answer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { ServiceConfig } from "../../config/types.js";
import { CONTAINER_CHECK_TIMEOUT_MS } from "../../config/types.js";
import { createProbe, type CheckingProbe } from "../../monitor/probe.js";
import type { Snapshot } from "../../monitor/snapshot.js";
import { FakeDocker } from "../fakes/docker.js";
import { ManualTimers, settle } from "./manual-timers.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Serves on loopback; the sockets it holds are destroyed at the end of the test. */
async function serve(server: Server | NetServer, where: number | string = 0): Promise<{ port: number; open: () => number }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => (typeof where === "string" ? server.listen(where, resolve) : server.listen(where, "127.0.0.1", resolve)));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return { port: typeof where === "string" ? 0 : (server.address() as AddressInfo).port, open: () => sockets.size };
}

const home = mkdtempSync(join(tmpdir(), "gaia-probe-checks-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function probeOf(services: ServiceConfig[], extra: Partial<Parameters<typeof createProbe>[0]> = {}): CheckingProbe {
  const probe = createProbe({ homeDir: home, services, selfPid: process.pid, ...extra });
  cleanups.push(() => probe.close());
  return probe;
}

/** One sample, and how long the probe took for it. */
async function timedSample(probe: CheckingProbe): Promise<{ snapshot: Snapshot; ms: number }> {
  const started = performance.now();
  const snapshot = await probe.sample();
  return { snapshot, ms: performance.now() - started };
}

const seen = (snapshot: Snapshot, name: string) => snapshot.services.find((s) => s.name === name)!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("endpoint and container checks never block the probe", () => {
  it("samples at once beside an endpoint that accepts and never answers, reads it down with its timeout, and holds one socket to it", async () => {
    const hung = await serve(createServer(() => undefined));
    const web = await serve(createServer((_req, res) => res.end("ok")));
    const probe = probeOf(
      [
        { name: "hung", match: { kind: "http", http: `http://127.0.0.1:${hung.port}/`, timeoutMs: 600 } },
        { name: "web", match: { kind: "http", http: `http://127.0.0.1:${web.port}/`, timeoutMs: 600 } },
      ],
      { checkEveryMs: 100 },
    );
    // The first cycle: the checks have just started, so nothing is known yet, and nothing is down.
    const first = await timedSample(probe);
    expect(first.ms).toBeLessThan(300);
    expect(seen(first.snapshot, "hung")).toMatchObject({ up: false, unchecked: true });

    // Cycles every 100 ms while the hung endpoint's check waits out its 600 ms deadline.
    let slowest = 0;
    let mostSockets = 0;
    for (let i = 0; i < 12; i++) {
      await sleep(100);
      const { ms } = await timedSample(probe);
      slowest = Math.max(slowest, ms);
      mostSockets = Math.max(mostSockets, hung.open());
    }
    expect(slowest).toBeLessThan(300);
    // At most one check in flight: one socket held open, never one per cycle.
    expect(mostSockets).toBe(1);

    const { snapshot } = await timedSample(probe);
    expect(seen(snapshot, "web")).toMatchObject({ up: true, endpoint: { up: true, statusCode: 200 } });
    expect(seen(snapshot, "web").checkedAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect(seen(snapshot, "hung")).toMatchObject({ up: false, endpoint: { up: false, problem: "timeout", timeoutMs: 600 } });
    expect(seen(snapshot, "hung").unchecked).toBeUndefined();
    // The web endpoint was checked about every 100 ms; the hung one once per deadline at most.
    expect(probe.checkStats.runs).toBeGreaterThan(8);
  });

  it("samples at once while a Docker socket accepts and never answers, and reads the container as Docker not answering past the deadline", async () => {
    const socketPath = join(home, "hung-docker.sock");
    const docker = await serve(createNetServer(() => undefined), socketPath);
    const timers = new ManualTimers(Date.now());
    const probe = probeOf([{ name: "jellyfin", match: { kind: "container", container: "jellyfin" } }], { dockerSocket: socketPath, checkEveryMs: 1000, checkTimers: timers });
    const first = await timedSample(probe);
    expect(first.ms).toBeLessThan(300);
    expect(seen(first.snapshot, "jellyfin")).toMatchObject({ up: false, unchecked: true });
    // The Docker client is loaded by the first check, then its request reaches the socket.
    for (let i = 0; i < 100 && docker.open() === 0; i++) await sleep(20);
    expect(docker.open()).toBe(1);

    // Past the Docker API deadline by the probe's clock: no answer, however the request fares.
    await timers.advance(CONTAINER_CHECK_TIMEOUT_MS + 1);
    const late = await timedSample(probe);
    expect(late.ms).toBeLessThan(300);
    expect(seen(late.snapshot, "jellyfin")).toMatchObject({ up: false, container: { state: "unreachable", problem: "ETIMEDOUT", timeoutMs: CONTAINER_CHECK_TIMEOUT_MS } });
    expect(seen(late.snapshot, "jellyfin").unchecked).toBeUndefined();
    // Still the one request in flight: none started behind it.
    await settle();
    expect(docker.open()).toBe(1);
    expect(probe.checkStats.runs).toBe(1);
  });

  it("keeps CPU from the container's own counters between two of its checks", async () => {
    const socketPath = join(home, "docker.sock");
    const docker = await FakeDocker.start(socketPath);
    cleanups.push(() => docker.stop());
    docker.set("web", { status: "running", cpuPerCallNs: 250_000_000, memoryBytes: 1000 });
    const probe = probeOf([{ name: "web", match: { kind: "container", container: "web" } }], { dockerSocket: socketPath, checkEveryMs: 50 });
    await probe.sample();
    let cpu = 0;
    for (let i = 0; i < 40 && cpu === 0; i++) {
      await sleep(50);
      cpu = seen(await probe.sample(), "web").cpuPercent;
    }
    // 0.25 s of the container's CPU per 1 s of the host's between two stats calls: 25% of one core.
    expect(cpu).toBeCloseTo(25);
    expect(seen(await probe.sample(), "web")).toMatchObject({ up: true, memoryBytes: 1000, container: { state: "running" } });
  });

  it("waits for the answers in a one-off probe (gaia check)", async () => {
    const web = await serve(createServer((_req, res) => res.end("ok")));
    const hung = await serve(createServer(() => undefined));
    const probe = probeOf(
      [
        { name: "web", match: { kind: "http", http: `http://127.0.0.1:${web.port}/`, timeoutMs: 2000 } },
        { name: "hung", match: { kind: "tcp", tcp: `127.0.0.1:${hung.port}`, host: "127.0.0.1", port: hung.port, timeoutMs: 1000 } },
        { name: "slow", match: { kind: "http", http: `http://127.0.0.1:${hung.port}/`, timeoutMs: 400 } },
      ],
      { waitForChecks: true },
    );
    const { snapshot, ms } = await timedSample(probe);
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(seen(snapshot, "web")).toMatchObject({ up: true, endpoint: { statusCode: 200 } });
    expect(seen(snapshot, "hung")).toMatchObject({ up: true });
    expect(seen(snapshot, "slow")).toMatchObject({ up: false, endpoint: { problem: "timeout", timeoutMs: 400 } });
  });
});
