import { describe, expect, it } from "vitest";
import { ConfigError } from "../../config/config-error.js";
import { loadEnvironment } from "../../config/load-environment.js";
import { parseSettings } from "../../config/load-settings.js";
import { gaiaPaths } from "../../config/paths.js";

const head = "telegram:\n  admins: [42]\nservices:\n";
function problemsOf(yaml: string): string[] {
  try {
    parseSettings(head + yaml, "/srv/gaia");
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected the settings to be refused");
}

describe("gaia.yml systemd units (match: unit)", () => {
  it("reads a unit by name, a bare name as a service as systemctl takes it, and the cgroup root", () => {
    const settings = parseSettings(
      head + ["  - { name: web, match: { unit: nginx.service } }", "  - { name: db, match: { unit: postgresql } }", "  - { name: backup, match: { unit: backup@home.timer } }"].join("\n") + "\n",
      "/srv/gaia",
    );
    expect(settings.services.map((s) => s.match)).toEqual([
      { kind: "unit", unit: "nginx.service" },
      { kind: "unit", unit: "postgresql.service" },
      { kind: "unit", unit: "backup@home.timer" },
    ]);
    expect(settings.systemd).toEqual({ cgroupRoot: "/sys/fs/cgroup" });
    expect(parseSettings(head + "  - { name: web, match: { unit: nginx } }\nsystemd:\n  cgroups: /host/sys/fs/cgroup\n", "/srv/gaia").systemd).toEqual({ cgroupRoot: "/host/sys/fs/cgroup" });
    // Without a unit service, nothing of systemd is set (the probe then never loads the D-Bus client).
    expect(parseSettings(head + "  - { name: p, match: { process: node } }\n", "/srv/gaia").systemd).toBeUndefined();
  });

  it("refuses a name systemd would not take, a unit beside another match, and a relative cgroup root", () => {
    expect(problemsOf("  - name: a\n    match: { unit: 'nginx service' }\n")).toEqual(["gaia.yml:5 services[0].match.unit: must be a systemd unit name, e.g. nginx.service"]);
    expect(problemsOf("  - name: a\n    match: { unit: nginx.service, process: nginx }\n")).toEqual(["gaia.yml:5 services[0].match: give exactly one of process, pidfile, port, http, tcp, container, unit"]);
    expect(problemsOf("  - name: a\n    match: { unit: nginx }\nsystemd:\n  cgroups: sys/fs/cgroup\n")).toEqual([
      "gaia.yml:7 systemd.cgroups: must be the absolute path where the cgroup filesystem is mounted, e.g. /sys/fs/cgroup",
    ]);
  });

  it("takes the system bus's address from DBUS_SYSTEM_BUS_ADDRESS", () => {
    const paths = gaiaPaths("/nonexistent-gaia-home");
    expect(loadEnvironment(paths, { DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/tmp/bus" }).systemBusAddress).toBe("unix:path=/tmp/bus");
    expect(loadEnvironment(paths, {}).systemBusAddress).toBeUndefined();
    expect(() => loadEnvironment(paths, { DBUS_SYSTEM_BUS_ADDRESS: "/tmp/bus" })).toThrow(/DBUS_SYSTEM_BUS_ADDRESS: must be a D-Bus address/);
  });
});
