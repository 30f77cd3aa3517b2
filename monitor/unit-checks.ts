/**
 * The probe's view of `match: { unit }` services, systemd's side: each unit's state read over
 * D-Bus (systemd-bus.ts), up or down decided by unit-state.ts. The probe runs each unit's check in
 * the background (background-checks.ts), like endpoints and containers, so a bus that never
 * answers never holds a cycle up; the unit's cgroup is read in the cycle (unit-cgroup.ts).
 * Imported dynamically by the probe, only when a unit is watched: it loads the D-Bus client.
 */
import { UNIT_CALL_TIMEOUT_MS } from "../config/types.js";
import type { UnitObservation } from "./snapshot.js";
import { SystemdBus, SystemdBusError } from "./systemd-bus.js";
import { unitIsUp, unitObservation } from "./unit-state.js";

/** What systemd said of one unit. */
export interface UnitStateCheck {
  up: boolean;
  unit: UnitObservation;
  /** The unit's cgroup below the cgroup root (absent when systemd gave none). */
  controlGroup?: string;
  mainPid?: number;
  /** When the unit last became active, while it is. */
  startedAt?: Date;
}

/** Reads units one by one over one connection to the system bus. */
export interface UnitChecker {
  /** One unit's state; resolves (never rejects), an unanswered call ending at its deadline. */
  checkOne(unit: string): Promise<UnitStateCheck>;
  /** Closes the connection to the bus. */
  close(): void;
}

export function createUnitChecker(options: { busAddress: string; timeoutMs?: number }): UnitChecker {
  const bus = new SystemdBus(options.busAddress, options.timeoutMs ?? UNIT_CALL_TIMEOUT_MS);
  return {
    async checkOne(unit) {
      let props;
      try {
        props = await bus.readUnit(unit);
      } catch (error) {
        const problem = error instanceof SystemdBusError ? error.problem : (error as Error).message;
        return { up: false, unit: { activeState: "unknown", subState: "unknown", restarts: 0, problem } };
      }
      const up = unitIsUp(props);
      const check: UnitStateCheck = { up, unit: unitObservation(props) };
      if (props.controlGroup) check.controlGroup = props.controlGroup;
      if (props.mainPid !== undefined && props.mainPid > 0) check.mainPid = props.mainPid;
      if (up && props.activeState === "active" && props.activeEnterTimestampUs) check.startedAt = new Date(props.activeEnterTimestampUs / 1000);
      return check;
    },
    close: () => bus.close(),
  };
}
