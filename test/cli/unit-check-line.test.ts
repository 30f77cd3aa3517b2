import { describe, expect, it } from "vitest";
import { unitCheckLine } from "../../cli/commands/check.js";

const ADDRESS = "unix:path=/var/run/dbus/system_bus_socket";
const unknown = (problem: string) => ({ activeState: "unknown", subState: "unknown", restarts: 0, problem, up: false, processCount: 0 });

describe("gaia check: a unit service", () => {
  it("says what to do when the system bus socket is missing, may not be opened, or its policy denies systemd", () => {
    const missing = unitCheckLine("web", "nginx.service", unknown("ENOENT"), ADDRESS);
    expect(missing.ok).toBe(false);
    expect(missing.text).toContain("no system bus at /var/run/dbus/system_bus_socket");
    expect(missing.text).toContain("mount the host's /run/dbus/system_bus_socket and set DBUS_SYSTEM_BUS_ADDRESS");
    expect(unitCheckLine("web", "nginx.service", unknown("EACCES"), ADDRESS).text).toContain("gaia's user may not open /var/run/dbus/system_bus_socket");
    expect(unitCheckLine("web", "nginx.service", unknown("AccessDenied"), ADDRESS).text).toContain("policy denies gaia's questions to systemd");
    expect(unitCheckLine("web", "nginx.service", unknown("ServiceUnknown"), ADDRESS).text).toContain("systemd is not on the system bus");
  });
  it("names a failed unit's exit code, a missing unit, and a running unit's main pid", () => {
    expect(unitCheckLine("web", "nginx.service", { activeState: "failed", subState: "failed", restarts: 0, exitStatus: 1, up: false, processCount: 0 }, ADDRESS).text).toBe(
      "service web: unit nginx.service is failed (exit 1) (it would be reported down)",
    );
    expect(unitCheckLine("web", "nginx.service", { activeState: "missing", subState: "dead", restarts: 0, up: false, processCount: 0 }, ADDRESS).text).toBe(
      "service web: systemd has no unit named nginx.service (it would be reported down)",
    );
    expect(unitCheckLine("web", "nginx.service", { activeState: "active", subState: "running", restarts: 0, mainPid: 42, up: true, processCount: 3 }, ADDRESS)).toEqual({
      ok: true,
      text: "service web: unit nginx.service is active (running), main pid 42, 3 process(es)",
    });
  });
});
