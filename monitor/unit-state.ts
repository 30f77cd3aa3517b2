/**
 * What a systemd unit's properties mean for gaia: up or down. Pure, so the table of systemd's
 * states is tested without a bus (test/monitor/unit-state.test.ts); the words for each state are
 * bot/render/status.ts's `unitState`.
 */
import type { UnitObservation } from "./snapshot.js";

/** The properties read over D-Bus (org.freedesktop.systemd1.Unit and, for a service, .Service). */
export interface UnitProperties {
  /** loaded, not-found, masked, error, bad-setting… */
  loadState: string;
  /** active, reloading, refreshing, inactive, failed, activating, deactivating, maintenance. */
  activeState: string;
  /** running, exited, dead, failed, auto-restart, start, start-pre… */
  subState: string;
  /** Service only: simple, exec, forking, oneshot, notify, dbus, idle. */
  type?: string;
  /** Service, socket, mount…: success, exit-code, signal, core-dump, timeout, start-limit-hit, oom-kill… */
  result?: string;
  mainPid?: number;
  /** The unit's cgroup below the cgroup root, e.g. /system.slice/nginx.service. */
  controlGroup?: string;
  /** Automatic restarts since the unit was last started by hand. */
  restarts?: number;
  /** The main process's exit: code 1 exited (status is its exit code), 2 killed, 3 dumped core (status is the signal). */
  execMainCode?: number;
  execMainStatus?: number;
  /** When the unit last entered the active state, µs since the epoch (0: never). */
  activeEnterTimestampUs?: number;
}

/** CLD_* codes of ExecMainCode (waitid(2)). */
const CLD_EXITED = 1;
const CLD_KILLED = 2;
const CLD_DUMPED = 3;

/**
 * Up: active (or reloading), or starting (a oneshot that runs, a service on its way up; systemd
 * fails it at its start timeout), or an inactive oneshot whose last run succeeded (what a timer
 * runs is inactive between runs). Down: failed, inactive (a oneshot whose last run did not
 * succeed included), restarting in a loop (activating/auto-restart), stopping, not found, masked.
 */
export function unitIsUp(unit: UnitProperties): boolean {
  if (unit.loadState === "not-found" || unit.loadState === "masked" || unit.loadState === "error" || unit.loadState === "bad-setting") return false;
  switch (unit.activeState) {
    case "active":
    case "reloading":
    case "refreshing":
      return true;
    case "activating":
      return unit.subState !== "auto-restart";
    case "inactive":
      return unit.type === "oneshot" && (unit.result === undefined || unit.result === "success");
    default:
      // failed, deactivating, maintenance, and states systemd may add.
      return false;
  }
}

/** The observation the probe reports: the state and how the main process ended, when that matters. */
export function unitObservation(unit: UnitProperties): UnitObservation {
  const missing = unit.loadState === "not-found";
  const observation: UnitObservation = {
    activeState: missing ? "missing" : unit.activeState,
    subState: unit.subState,
    loadState: unit.loadState,
    restarts: unit.restarts ?? 0,
  };
  if (unit.type !== undefined) observation.type = unit.type;
  if (unit.result !== undefined) observation.result = unit.result;
  if (unit.mainPid !== undefined && unit.mainPid > 0) observation.mainPid = unit.mainPid;
  // How the main process ended only says something once it ended badly.
  const ended = unit.activeState === "failed" || unit.subState === "auto-restart" || (unit.activeState === "inactive" && unit.result !== undefined && unit.result !== "success");
  if (ended && unit.execMainStatus !== undefined) {
    if (unit.execMainCode === CLD_EXITED && unit.execMainStatus !== 0) observation.exitStatus = unit.execMainStatus;
    if (unit.execMainCode === CLD_KILLED || unit.execMainCode === CLD_DUMPED) observation.signal = unit.execMainStatus;
  }
  return observation;
}
