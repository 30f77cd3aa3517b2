/**
 * The probe's view of `match: { container }` services: each container read through the
 * Engine API (monitor/docker-engine.ts), CPU as % of one core between two checks from the
 * container's own counters, memory as `docker stats` shows it. Imported dynamically by the probe.
 */
import { CONTAINER_CHECK_TIMEOUT_MS, type ServiceConfig } from "../config/types.js";
import { readContainer, type ContainerFacts } from "./docker-engine.js";
import type { ContainerObservation } from "./snapshot.js";

export interface ContainerCheck {
  name: string;
  up: boolean;
  container: ContainerObservation;
  cpuPercent: number;
  memoryBytes: number;
  startedAt?: Date;
}

/** Checks containers one by one (the probe runs each in the background, see background-checks.ts). */
export interface ContainerChecker {
  /** One container's check; resolves (never rejects) by its deadline (CONTAINER_CHECK_TIMEOUT_MS). */
  checkOne(name: string, container: string): Promise<ContainerCheck>;
  /** Every container service of `services` at once, by service name (`gaia check`, tests). */
  check(services: readonly ServiceConfig[]): Promise<Map<string, ContainerCheck>>;
}

/**
 * Keeps the previous counters of each container, so CPU covers the time between two checks: the
 * container's own CPU time (its cgroup's, as Docker reports it) over the host's in the same span.
 */
export function createContainerChecker(socket: string, timeoutMs = CONTAINER_CHECK_TIMEOUT_MS): ContainerChecker {
  const previous = new Map<string, ContainerFacts>();
  async function checkOne(name: string, container: string): Promise<ContainerCheck> {
    try {
      const facts = await readContainer(socket, container, timeoutMs);
      const before = previous.get(name);
      previous.set(name, facts);
      const state = facts.health === "unhealthy" && facts.state === "running" ? "unhealthy" : facts.state;
      return {
        name,
        up: state === "running",
        container: { state, restartCount: facts.restartCount, ...(facts.exitCode !== undefined && facts.state === "exited" ? { exitCode: facts.exitCode } : {}), ...(facts.health ? { health: facts.health } : {}) },
        cpuPercent: cpuPercent(before, facts),
        memoryBytes: facts.memoryBytes ?? 0,
        ...(facts.startedAt && facts.state === "running" ? { startedAt: facts.startedAt } : {}),
      };
    } catch (error) {
      previous.delete(name);
      const problem = (error as { code?: string }).code ?? "error";
      return {
        name,
        up: false,
        container: { state: "unreachable", restartCount: 0, problem, ...(problem === "ETIMEDOUT" ? { timeoutMs } : {}) },
        cpuPercent: 0,
        memoryBytes: 0,
      };
    }
  }
  return {
    checkOne,
    async check(services) {
      const watched = services.flatMap((s) => (s.match.kind === "container" ? [{ name: s.name, container: s.match.container }] : []));
      const results = await Promise.all(watched.map(({ name, container }) => checkOne(name, container)));
      return new Map(results.map((r) => [r.name, r]));
    },
  };
}

/** % of one core between two readings: the container's CPU time over the host's, times its CPUs. */
export function cpuPercent(before: ContainerFacts | undefined, now: ContainerFacts): number {
  if (!before || before.cpuTotalNs === undefined || now.cpuTotalNs === undefined) return 0;
  if (before.systemCpuNs === undefined || now.systemCpuNs === undefined) return 0;
  const used = now.cpuTotalNs - before.cpuTotalNs;
  const system = now.systemCpuNs - before.systemCpuNs;
  if (used < 0 || system <= 0) return 0;
  return (used / system) * (now.onlineCpus ?? 1) * 100;
}
