/**
 * A child process of the probe benchmark: what the probe's endpoint and container checks talk to,
 * kept out of the benchmark's own process so that the CPU it measures is the probe's alone.
 * Starts `count` HTTP servers on loopback and the tests' fake Docker Engine API on a unix socket
 * with `count` running containers, each answering after `delayMs`; prints `{ ports, socket,
 * containers }` as one JSON line on stdout; stops when its standard input closes.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeDocker } from "../test/fakes/docker.js";

async function main(): Promise<void> {
  const [countText, delayText, socket] = process.argv.slice(2);
  const count = Number(countText);
  const delayMs = Number(delayText);
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer((_req, res) => setTimeout(() => res.end("status: ok"), delayMs));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
  }
  const docker = await FakeDocker.start(socket, { answerDelayMs: delayMs });
  const containers = Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(3, "0")}`);
  for (const name of containers) docker.set(name, { status: "running", health: "healthy", cpuPerCallNs: 1e7, memoryBytes: 64 * 1024 * 1024 });
  process.stdout.write(`${JSON.stringify({ ports: servers.map((s) => (s.address() as AddressInfo).port), socket, containers })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    for (const server of servers) server.closeAllConnections();
    void docker.stop().finally(() => process.exit(0));
  });
}

void main();
