/**
 * The probe's view of `match: { unit }` services: each unit's state read from systemd over D-Bus
 * (systemd-bus.ts), up or down decided by unit-state.ts, and its cgroup read from the cgroup
 * filesystem (unit-cgroup.ts): processes, and on cgroup v2 memory and CPU between two probes.
 * Imported dynamically by the probe, only when a unit is watched.
 */
import type { ServiceConfig } from "../config/types.js";
import type { UnitObservation } from "./snapshot.js";
import { SystemdBus, SystemdBusError } from "./systemd-bus.js";
import { readUnitCgroup } from "./unit-cgroup.js";
import { unitIsUp, unitObservation } from "./unit-state.js";

/** How long one D-Bus call waits for systemd (a unit takes two or three calls). */
export const UNIT_CALL_TIMEOUT_MS = 3_000;

/** What the probe learns about one unit service. */
export interface UnitCheck {
  name: string;
  up: boolean;
  unit: UnitObservation;
  /** The cgroup's processes (or the main pid alone when the cgroup could not be read). */
  pids: number[];
  /** cgroup v2: memory.current; absent on v1, where the probe sums the processes' figures. */
  memoryBytes?: number;
  /** cgroup v2: % of one core since the previous probe (0 on the first); absent on v1. */
  cpuPercent?: number;
  /** When the unit last became active, while it is. */
  startedAt?: Date;
}

export interface UnitCheckerOptions {
  /** The system bus's address. */
  busAddress: string;
  /** Where the cgroup filesystem is mounted. */
  cgroupRoot: string;
  timeoutMs?: number;
  now?: () => number;
}

/** Reads every watched unit at once; keeps each unit's CPU counter so CPU covers the time between probes. */
export function createUnitChecker(options: UnitCheckerOptions): { check(services: readonly ServiceConfig[]): Promise<Map<string, UnitCheck>>; close(): void } {
  const bus = new SystemdBus(options.busAddress, options.timeoutMs ?? UNIT_CALL_TIMEOUT_MS);
  const now = options.now ?? Date.now;
  const previousCpu = new Map<string, { usageUs: number; at: number }>();
  return {
    async check(services) {
      const watched = services.flatMap((s) => (s.match.kind === "unit" ? [{ name: s.name, unit: s.match.unit }] : []));
      const results = await Promise.all(
        watched.map(async ({ name, unit }): Promise<UnitCheck> => {
          let props;
          try {
            props = await bus.readUnit(unit);
          } catch (error) {
            previousCpu.delete(name);
            const problem = error instanceof SystemdBusError ? error.problem : (error as Error).message;
            return { name, up: false, unit: { activeState: "unknown", subState: "unknown", restarts: 0, problem }, pids: [] };
          }
          const up = unitIsUp(props);
          const check: UnitCheck = { name, up, unit: unitObservation(props), pids: [] };
          const cgroup = props.controlGroup ? readUnitCgroup(options.cgroupRoot, props.controlGroup) : undefined;
          if (cgroup) {
            check.pids = cgroup.pids;
            if (cgroup.memoryBytes !== undefined) check.memoryBytes = cgroup.memoryBytes;
            if (cgroup.cpuUsageUs !== undefined) {
              const at = now();
              const before = previousCpu.get(name);
              previousCpu.set(name, { usageUs: cgroup.cpuUsageUs, at });
              const used = before ? cgroup.cpuUsageUs - before.usageUs : 0;
              const elapsedUs = before ? (at - before.at) * 1000 : 0;
              check.cpuPercent = used > 0 && elapsedUs > 0 ? (used / elapsedUs) * 100 : 0;
            } else {
              previousCpu.delete(name);
            }
          } else if (props.mainPid !== undefined && props.mainPid > 0) {
            check.pids = [props.mainPid];
          }
          if (up && props.activeState === "active" && props.activeEnterTimestampUs) check.startedAt = new Date(props.activeEnterTimestampUs / 1000);
          return check;
        }),
      );
      return new Map(results.map((r) => [r.name, r]));
    },
    close: () => bus.close(),
  };
}
