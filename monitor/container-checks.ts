/**
 * The probe's view of `match: { container }` services: every container read at once through the
 * Engine API (monitor/docker-engine.ts), CPU as % of one core between two probes from the
 * container's own counters, memory as `docker stats` shows it. Imported dynamically by the probe.
 */
import type { ServiceConfig } from "../config/types.js";
import { readContainer, type ContainerFacts } from "./docker-engine.js";
import type { ContainerObservation } from "./snapshot.js";

/** How long one probe waits for Docker's answers about one container. */
export const CONTAINER_TIMEOUT_MS = 5_000;

export interface ContainerCheck {
  name: string;
  up: boolean;
  container: ContainerObservation;
  cpuPercent: number;
  memoryBytes: number;
  startedAt?: Date;
}

/** Keeps the previous counters of each container, so CPU covers the time between two probes. */
export function createContainerChecker(socket: string): { check(services: readonly ServiceConfig[]): Promise<Map<string, ContainerCheck>> } {
  const previous = new Map<string, ContainerFacts>();
  return {
    async check(services) {
      const watched = services.flatMap((s) => (s.match.kind === "container" ? [{ name: s.name, container: s.match.container }] : []));
      const results = await Promise.all(
        watched.map(async ({ name, container }): Promise<ContainerCheck> => {
          try {
            const facts = await readContainer(socket, container, CONTAINER_TIMEOUT_MS);
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
            return { name, up: false, container: { state: "unreachable", restartCount: 0, problem: (error as { code?: string }).code ?? "error" }, cpuPercent: 0, memoryBytes: 0 };
          }
        }),
      );
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
