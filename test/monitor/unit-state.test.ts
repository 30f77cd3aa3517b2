import { describe, expect, it } from "vitest";
import { unitIsUp, unitObservation, type UnitProperties } from "../../monitor/unit-state.js";
import { systemdProblem, unitState } from "../../bot/render/status.js";

const EXITED = 1;
const KILLED = 2;

/** systemd's states as `systemctl show` reports them for each case, what gaia decides and says. */
const table: [string, UnitProperties, boolean, string][] = [
  ["a running service", { loadState: "loaded", activeState: "active", subState: "running", type: "simple", result: "success", mainPid: 42 }, true, "active (running)"],
  ["a service reloading", { loadState: "loaded", activeState: "reloading", subState: "reload", type: "notify", result: "success" }, true, "reloading (reload)"],
  ["a oneshot with RemainAfterExit", { loadState: "loaded", activeState: "active", subState: "exited", type: "oneshot", result: "success" }, true, "active (exited)"],
  ["a failed service (exit 1)", { loadState: "loaded", activeState: "failed", subState: "failed", type: "simple", result: "exit-code", execMainCode: EXITED, execMainStatus: 1 }, false, "failed (exit 1)"],
  ["a service killed by SIGKILL", { loadState: "loaded", activeState: "failed", subState: "failed", type: "simple", result: "signal", execMainCode: KILLED, execMainStatus: 9 }, false, "failed (signal 9)"],
  ["a service that hit its start limit", { loadState: "loaded", activeState: "failed", subState: "failed", type: "simple", result: "start-limit-hit", execMainCode: EXITED, execMainStatus: 0 }, false, "failed (start-limit-hit)"],
  ["a service killed for memory", { loadState: "loaded", activeState: "failed", subState: "failed", type: "simple", result: "oom-kill", execMainCode: KILLED, execMainStatus: 9 }, false, "failed (oom-kill)"],
  ["a service that dumped core", { loadState: "loaded", activeState: "failed", subState: "failed", type: "simple", result: "core-dump", execMainCode: 3, execMainStatus: 11 }, false, "failed (signal 11, core dumped)"],
  [
    "a service in its auto-restart loop",
    { loadState: "loaded", activeState: "activating", subState: "auto-restart", type: "simple", result: "exit-code", restarts: 3, execMainCode: EXITED, execMainStatus: 2 },
    false,
    "activating (auto-restart, 3 restarts; exit 2)",
  ],
  ["a service on its way up", { loadState: "loaded", activeState: "activating", subState: "start", type: "notify", result: "success" }, true, "activating (start)"],
  ["a oneshot that runs now (a backup started by its timer)", { loadState: "loaded", activeState: "activating", subState: "start", type: "oneshot", result: "success" }, true, "running (oneshot, start)"],
  ["a oneshot between runs, its last run good", { loadState: "loaded", activeState: "inactive", subState: "dead", type: "oneshot", result: "success" }, true, "inactive (last run succeeded)"],
  [
    "a oneshot between runs, its last run failed (exit 3)",
    { loadState: "loaded", activeState: "inactive", subState: "dead", type: "oneshot", result: "exit-code", execMainCode: EXITED, execMainStatus: 3 },
    false,
    "inactive, last run failed (exit 3)",
  ],
  ["a oneshot whose last run timed out", { loadState: "loaded", activeState: "inactive", subState: "dead", type: "oneshot", result: "timeout" }, false, "inactive, last run failed (timeout)"],
  ["a failed oneshot", { loadState: "loaded", activeState: "failed", subState: "failed", type: "oneshot", result: "exit-code", execMainCode: EXITED, execMainStatus: 1 }, false, "failed (exit 1)"],
  ["a stopped service", { loadState: "loaded", activeState: "inactive", subState: "dead", type: "simple", result: "success" }, false, "inactive (dead)"],
  ["a service stopping", { loadState: "loaded", activeState: "deactivating", subState: "stop-sigterm", type: "simple", result: "success" }, false, "deactivating (stop-sigterm)"],
  ["an unknown unit", { loadState: "not-found", activeState: "inactive", subState: "dead" }, false, "no such unit"],
  ["a masked unit", { loadState: "masked", activeState: "inactive", subState: "dead" }, false, "masked"],
  ["an active timer", { loadState: "loaded", activeState: "active", subState: "waiting" }, true, "active (waiting)"],
];

describe("systemd unit states", () => {
  it.each(table)("%s: up=%s, shown as its state", (_, props, up, words) => {
    expect(unitIsUp(props)).toBe(up);
    expect(unitState(unitObservation(props))).toBe(words);
  });

  it("keeps how the main process ended only when it ended badly", () => {
    // A running service's ExecMainStatus is the previous run's: not shown.
    expect(unitObservation({ loadState: "loaded", activeState: "active", subState: "running", execMainCode: EXITED, execMainStatus: 1, mainPid: 7 })).toEqual({
      activeState: "active",
      subState: "running",
      loadState: "loaded",
      restarts: 0,
      mainPid: 7,
    });
    expect(unitObservation({ loadState: "loaded", activeState: "activating", subState: "auto-restart", restarts: 1, execMainCode: EXITED, execMainStatus: 0 }).exitStatus).toBeUndefined();
    expect(unitState({ activeState: "activating", subState: "auto-restart", restarts: 1 })).toBe("activating (auto-restart, 1 restart)");
  });

  it("says why systemd could not be asked", () => {
    expect(unitState({ activeState: "unknown", subState: "unknown", restarts: 0, problem: "ENOENT" })).toBe("systemd not reachable (no system bus socket; gaia check says what to do)");
    expect(systemdProblem("EACCES")).toBe("gaia may not open the system bus socket");
    expect(systemdProblem("AccessDenied")).toBe("the bus policy denies gaia's questions to systemd");
    expect(systemdProblem("ServiceUnknown")).toBe("systemd is not on the system bus");
    expect(systemdProblem("timeout")).toBe("no answer in time");
  });
});
