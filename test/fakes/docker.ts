/**
 * A fake Docker Engine API on a unix socket, strict like the real one on the routes gaia uses:
 * GET /containers/NAME/json (404 `{"message":"No such container: NAME"}` for an unknown name),
 * GET /containers/NAME/stats?stream=false (only `stream=false` is served; a stream would hang a
 * client that does not ask for one-shot), POST /containers/NAME/restart (204). Paths may carry an
 * API version prefix (/v1.43/...). The tests change a container's state through `set`.
 */
import { createServer, type Server } from "node:http";
import { rmSync } from "node:fs";

export interface FakeContainer {
  status: "running" | "restarting" | "exited" | "created" | "paused" | "dead";
  exitCode?: number;
  health?: "healthy" | "unhealthy" | "starting";
  restartCount?: number;
  /** CPU time used so far (ns); grows with each stats call by `cpuPerCallNs`. */
  cpuPerCallNs?: number;
  memoryBytes?: number;
}

export class FakeDocker {
  private readonly containers = new Map<string, FakeContainer & { cpuTotalNs: number; startedAt: string }>();
  private systemNs = 1e12;
  /** Every request, as "METHOD path". */
  readonly requests: string[] = [];
  /** Names restarted through POST /containers/NAME/restart, in order. */
  readonly restarts: string[] = [];

  private constructor(private readonly server: Server, readonly socket: string) {}

  /** `answerDelayMs`: each answer waits this long, like a busy Docker daemon (the benchmark's slow answers). */
  static async start(socket: string, options: { answerDelayMs?: number } = {}): Promise<FakeDocker> {
    rmSync(socket, { force: true });
    let fake: FakeDocker | undefined;
    const delay = options.answerDelayMs ?? 0;
    const server = createServer((req, res) => {
      const answer = () => fake!.handle(req.method ?? "GET", req.url ?? "/", res);
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
    fake = new FakeDocker(server, socket);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return fake;
  }

  set(name: string, container: FakeContainer): void {
    const previous = this.containers.get(name);
    this.containers.set(name, { cpuTotalNs: previous?.cpuTotalNs ?? 0, startedAt: previous?.startedAt ?? new Date().toISOString(), ...container });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.socket, { force: true });
  }

  private handle(method: string, url: string, res: import("node:http").ServerResponse): void {
    this.requests.push(`${method} ${url}`);
    const parsed = new URL(url, "http://docker");
    const match = /^(?:\/v1\.\d+)?\/containers\/([^/]+)\/(json|stats|restart)$/.exec(parsed.pathname);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!match) return send(404, { message: "page not found" });
    const name = decodeURIComponent(match[1]);
    const container = this.containers.get(name);
    if (!container) return send(404, { message: `No such container: ${name}` });
    if (match[2] === "json" && method === "GET") {
      return send(200, {
        Name: `/${name}`,
        RestartCount: container.restartCount ?? 0,
        State: {
          Status: container.status,
          Running: container.status === "running",
          Restarting: container.status === "restarting",
          ExitCode: container.exitCode ?? 0,
          StartedAt: container.startedAt,
          ...(container.health ? { Health: { Status: container.health } } : {}),
        },
      });
    }
    if (match[2] === "stats" && method === "GET") {
      if (parsed.searchParams.get("stream") !== "false") return void res.writeHead(200); // a stream that never ends
      container.cpuTotalNs += container.cpuPerCallNs ?? 0;
      this.systemNs += 1e9; // one second of one CPU between calls
      return send(200, {
        cpu_stats: { cpu_usage: { total_usage: container.cpuTotalNs }, system_cpu_usage: this.systemNs, online_cpus: 1 },
        memory_stats: { usage: (container.memoryBytes ?? 0) + 4096, stats: { inactive_file: 4096 } },
      });
    }
    if (match[2] === "restart" && method === "POST") {
      this.restarts.push(name);
      this.set(name, { ...container, status: "running", exitCode: 0, restartCount: (container.restartCount ?? 0) + 1 });
      this.containers.get(name)!.startedAt = new Date().toISOString();
      return send(204);
    }
    return send(405, { message: "method not allowed" });
  }
}
