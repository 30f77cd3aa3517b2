/**
 * A hung endpoint and a Docker socket that never answers, as an admin meets them: the real
 * `gaia start` watches a normal process beside an HTTP server on loopback that accepts connections
 * and never answers, and a container behind a unix socket that does the same. The probe keeps its
 * cadence (a process killed meanwhile is alerted within the usual bound), and both hung checks are
 * alerted down with their deadline as the reason.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { ADMIN, eventually, monitoringHarness, NODE_NAME, type MonitoringHarness } from "./monitoring-harness.js";

/** A server that accepts every connection and never answers; counts the connections it took. */
async function hungServer(server: Server, where: { port: 0 } | { path: string }) {
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    connections++;
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => ("path" in where ? server.listen(where.path, resolve) : server.listen(0, "127.0.0.1", resolve)));
  return {
    port: "port" in where ? (server.address() as AddressInfo).port : 0,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("hung checks never block the probe", () => {
  let harness: MonitoringHarness | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump());
    await harness?.cleanup();
    harness = undefined;
    for (const close of closers.splice(0)) await close();
  });

  it("alerts a killed process within its usual bound beside an endpoint and a Docker socket that never answer, and alerts those as down with their deadline", async () => {
    // http.Server: it accepts the connection and reads the request, and its handler never answers.
    const web = await hungServer(createHttpServer(() => undefined), { port: 0 });
    closers.push(web.close);
    let dockerSocket = "";
    const h = (harness = await monitoringHarness(({ home }) => {
      dockerSocket = join(home, "docker.sock");
      return [
        "docker:",
        `  socket: ${dockerSocket}`,
        "services:",
        "  - name: agent",
        `    match: { process: ${NODE_NAME}, args: e2e-hung-agent }`,
        "  - name: stuck",
        `    match: { http: "http://127.0.0.1:${web.port}/health", timeout: 4s }`,
        "  - name: jellyfin",
        "    match: { container: jellyfin }",
      ].join("\n");
    }));
    const docker = await hungServer(createNetServer(() => undefined), { path: dockerSocket });
    closers.push(docker.close);
    await h.startService("e2e-hung-agent");
    h.startGaia();
    const startedAt = Date.now();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await eventually(async () => (await h.metric('gaia_service_up{service="agent"}')) === 1, 10_000, "agent up in /metrics");

    // While both checks still wait for an answer, the probe goes on every second (probe.every 1s,
    // sustain 2): a killed process is alerted within probe.every × (sustain + 1) = 3 s, plus slack
    // for a loaded machine. A probe that waited for the checks would take 4-5 s per cycle.
    await h.killService("e2e-hung-agent");
    const killedAt = Date.now();
    await h.tg.waitForMessage(/agent is down/, { timeoutMs: 15_000 });
    expect(Date.now() - killedAt).toBeLessThan(5_000);

    // The endpoint that never answers: down, with its timeout as the reason.
    const stuck = await h.tg.waitForMessage(/stuck is down/, { timeoutMs: 20_000 });
    expect(stuck.plainText).toContain(`Watched by: an answer from http://127.0.0.1:${web.port}/health`);
    expect(stuck.plainText).toContain("Why: no answer within 4s");
    // The Docker socket that never answers: down, with the Docker API deadline.
    const container = await h.tg.waitForMessage(/jellyfin is down/, { timeoutMs: 20_000 });
    expect(container.plainText).toContain("Container: Docker did not answer within 5s");

    // /status says the same, and the probe is current: its snapshot is not older than a few periods.
    const waiting = h.tg.waitForMessage(/^Gaia · /, { chatId: ADMIN, newOnly: true, timeoutMs: 15_000 });
    h.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/status" });
    const status = (await waiting).plainText;
    expect(status).toMatch(/stuck · down since [^·]+ · no answer within 4s/);
    expect(status).toMatch(/jellyfin · down since [^·]+ · Docker did not answer within 5s/);
    const lastProbe = await h.metric("gaia_last_probe_timestamp_seconds");
    expect(Date.now() / 1000 - lastProbe!).toBeLessThan(3);

    // One check in flight per service at a time: a new connection only once the previous one met
    // its deadline (4 s, 5 s), never one per probe cycle (every second).
    const seconds = (Date.now() - startedAt) / 1000;
    expect(web.connections()).toBeLessThanOrEqual(Math.ceil(seconds / 4) + 1);
    expect(docker.connections()).toBeLessThanOrEqual(Math.ceil(seconds / 5) + 1);
    expect(web.connections()).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
