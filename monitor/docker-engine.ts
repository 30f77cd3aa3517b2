/**
 * A minimal Docker Engine API client over its unix socket (node:http with `socketPath`): no
 * `docker` process, no package. Loaded only when gaia.yml watches a container (the probe and the
 * restarter import it dynamically), so nobody else pays for it.
 */
import { request } from "node:http";

/** A call to the Engine API that did not give the expected answer. */
export class DockerEngineError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or undefined when the socket could not be reached. */
    readonly status?: number,
    /** The socket error's code (EACCES: no permission, ENOENT: no socket), when unreachable. */
    readonly code?: string,
  ) {
    super(message);
    this.name = "DockerEngineError";
  }
}

/** One request to the Engine API; resolves with the status and the parsed JSON body (if any). */
export function dockerRequest(socket: string, method: "GET" | "POST", path: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: { host: "docker" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on("error", (error) => reject(new DockerEngineError(error.message)));
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new DockerEngineError(`cannot reach the Docker socket ${socket}: ${error.code ?? error.message}`, undefined, error.code));
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })), timeoutMs);
    req.end();
  });
}

/** What the probe reads of one container. */
export interface ContainerFacts {
  /** Docker's state: created, running, paused, restarting, removing, exited, dead; "missing" when no such container. */
  state: string;
  /** The HEALTHCHECK's verdict: healthy, unhealthy, starting; absent without a HEALTHCHECK. */
  health?: string;
  exitCode?: number;
  restartCount: number;
  startedAt?: Date;
  /** CPU time used so far (ns) and the host's CPU time (ns), for a % between two probes. */
  cpuTotalNs?: number;
  systemCpuNs?: number;
  onlineCpus?: number;
  memoryBytes?: number;
}

/** Inspects a container by name, and reads its stats once when it runs; both within `timeoutMs` in all. */
export async function readContainer(socket: string, name: string, timeoutMs: number): Promise<ContainerFacts> {
  const deadline = Date.now() + timeoutMs;
  const inspected = await dockerRequest(socket, "GET", `/containers/${encodeURIComponent(name)}/json`, timeoutMs);
  if (inspected.status === 404) return { state: "missing", restartCount: 0 };
  if (inspected.status !== 200) throw new DockerEngineError(`Docker answered ${inspected.status} for container ${name}`, inspected.status);
  const body = inspected.body as { State?: Record<string, unknown>; RestartCount?: number };
  const state = body.State ?? {};
  const facts: ContainerFacts = {
    state: String(state.Status ?? "unknown"),
    restartCount: typeof body.RestartCount === "number" ? body.RestartCount : 0,
  };
  const health = (state.Health as { Status?: string } | undefined)?.Status;
  if (health) facts.health = health;
  if (typeof state.ExitCode === "number") facts.exitCode = state.ExitCode;
  const started = typeof state.StartedAt === "string" ? new Date(state.StartedAt) : undefined;
  if (started && Number.isFinite(started.getTime()) && started.getTime() > 0) facts.startedAt = started;
  if (facts.state !== "running") return facts;
  const stats = await dockerRequest(socket, "GET", `/containers/${encodeURIComponent(name)}/stats?stream=false&one-shot=true`, Math.max(1, deadline - Date.now()));
  if (stats.status === 200) {
    const s = stats.body as { cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number }; memory_stats?: { usage?: number; stats?: { inactive_file?: number; cache?: number } } };
    if (typeof s.cpu_stats?.cpu_usage?.total_usage === "number") facts.cpuTotalNs = s.cpu_stats.cpu_usage.total_usage;
    if (typeof s.cpu_stats?.system_cpu_usage === "number") facts.systemCpuNs = s.cpu_stats.system_cpu_usage;
    if (typeof s.cpu_stats?.online_cpus === "number") facts.onlineCpus = s.cpu_stats.online_cpus;
    // Like `docker stats`: usage minus the page cache that can be dropped.
    if (typeof s.memory_stats?.usage === "number") facts.memoryBytes = Math.max(0, s.memory_stats.usage - (s.memory_stats.stats?.inactive_file ?? s.memory_stats.stats?.cache ?? 0));
  }
  return facts;
}

/** Restarts a container (POST /containers/NAME/restart); throws DockerEngineError unless Docker says 204. */
export async function restartContainer(socket: string, name: string, timeoutMs: number): Promise<void> {
  const answer = await dockerRequest(socket, "POST", `/containers/${encodeURIComponent(name)}/restart?t=10`, timeoutMs);
  if (answer.status !== 204) {
    const message = (answer.body as { message?: string } | undefined)?.message;
    throw new DockerEngineError(`Docker answered ${answer.status}${message ? `: ${message}` : ""}`, answer.status);
  }
}
