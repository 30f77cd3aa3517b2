import { describe, expect, it } from "vitest";
import { ConfigError } from "../../config/config-error.js";
import { parseSettings } from "../../config/load-settings.js";

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

describe("gaia.yml endpoints (match: http, tcp)", () => {
  it("reads http with status, contains and timeout, and tcp with its host and port", () => {
    const settings = parseSettings(
      head +
        [
          '  - { name: jellyfin, match: { http: "http://127.0.0.1:8096/health", status: 200, contains: Healthy, timeout: 3s } }',
          '  - { name: postgres, match: { tcp: "127.0.0.1:5432" } }',
          '  - { name: v6, match: { tcp: "[::1]:6379", timeout: 1s } }',
        ].join("\n") + "\n",
      "/srv/gaia",
    );
    expect(settings.services.map((s) => s.match)).toEqual([
      { kind: "http", http: "http://127.0.0.1:8096/health", status: 200, contains: "Healthy", timeoutMs: 3000 },
      { kind: "tcp", tcp: "127.0.0.1:5432", host: "127.0.0.1", port: 5432, timeoutMs: 10_000 },
      { kind: "tcp", tcp: "[::1]:6379", host: "::1", port: 6379, timeoutMs: 1000 },
    ]);
  });

  it("refuses each mistake with its line", () => {
    expect(problemsOf('  - name: a\n    match: { http: "ftp://x/" }\n')).toEqual(["gaia.yml:5 services[0].match.http: must be an http(s) URL, e.g. http://127.0.0.1:8096/health"]);
    expect(problemsOf('  - name: a\n    match: { tcp: "localhost" }\n')).toEqual(["gaia.yml:5 services[0].match.tcp: write it as HOST:PORT, e.g. 127.0.0.1:5432"]);
    expect(problemsOf('  - name: a\n    match: { tcp: "db:5432", contains: x }\n')).toEqual([expect.stringMatching(/^gaia\.yml:5 services\[0\]\.match\.contains: contains only refines http/)]);
    expect(problemsOf('  - name: a\n    match: { http: "http://x/", timeout: 2m }\n')).toEqual([expect.stringMatching(/^gaia\.yml:5 services\[0\]\.match\.timeout: /)]);
    expect(problemsOf('  - name: a\n    match: { http: "http://x/", tcp: "x:1" }\n')).toEqual(["gaia.yml:5 services[0].match: give exactly one of process, pidfile, port, http, tcp, container, unit"]);
  });
});

describe("gaia.yml host.disks", () => {
  it("reads the list, and leaves it out by default (the home folder's disk)", () => {
    expect(parseSettings("telegram:\n  admins: [42]\nhost:\n  disks: [/, /srv/media]\n", "/srv/gaia").host.disks).toEqual(["/", "/srv/media"]);
    expect(parseSettings("telegram:\n  admins: [42]\n", "/srv/gaia").host.disks).toBeUndefined();
  });

  it("refuses a relative path with its line", () => {
    expect(() => parseSettings("telegram:\n  admins: [42]\nhost:\n  disks: [/, media]\n", "/srv/gaia")).toThrow(
      /gaia\.yml:4 host\.disks\[1\]: must be an absolute path of a mount point/,
    );
  });
});

describe("gaia.yml containers", () => {
  it("reads match: { container } and the default socket, or docker.socket", () => {
    const one = parseSettings(head + "  - { name: jellyfin, match: { container: jellyfin } }\n", "/srv/gaia");
    expect(one.services[0].match).toEqual({ kind: "container", container: "jellyfin" });
    expect(one.docker).toEqual({ socket: "/var/run/docker.sock" });
    const other = parseSettings("telegram:\n  admins: [42]\ndocker:\n  socket: /run/proxy/docker.sock\n", "/srv/gaia");
    expect(other.docker).toEqual({ socket: "/run/proxy/docker.sock" });
    expect(parseSettings("telegram:\n  admins: [42]\n", "/srv/gaia").docker).toBeUndefined();
  });

  it("refuses a bad name or socket with its line", () => {
    expect(problemsOf("  - { name: a, match: { container: 'no spaces' } }\n")).toEqual(["gaia.yml:4 services[0].match.container: must be a container name, e.g. jellyfin"]);
    expect(() => parseSettings("telegram:\n  admins: [42]\ndocker:\n  socket: docker.sock\n", "/srv/gaia")).toThrow(/gaia\.yml:4 docker\.socket: must be the absolute path/);
  });
});

describe("gaia.yml maintenance", () => {
  it("reads windows, and refuses a bad cron, a length out of bounds or an unknown service with its line", () => {
    const yaml = (m: string) => head + "  - { name: agent, match: { process: node } }\nmaintenance:\n" + m;
    expect(parseSettings(yaml('  - { cron: "0 3 * * 0", for: 2h, services: [agent] }\n'), "/srv/gaia").maintenance).toEqual([{ cron: "0 3 * * 0", forMs: 7_200_000, services: ["agent"] }]);
    expect(problemsOf("  - { name: agent, match: { process: node } }\nmaintenance:\n" + '  - { cron: "0 3 * *", for: 2h, services: [agent] }\n')).toEqual([expect.stringMatching(/^gaia\.yml:6 maintenance\[0\]\.cron: is not a 5-field cron expression/)]);
    expect(problemsOf("  - { name: agent, match: { process: node } }\nmaintenance:\n" + '  - { cron: "0 3 * * 0", for: 2d, services: [agent] }\n')).toEqual([expect.stringMatching(/^gaia\.yml:6 maintenance\[0\]\.for: /)]);
    expect(problemsOf("  - { name: agent, match: { process: node } }\nmaintenance:\n" + '  - { cron: "0 3 * * 0", for: 2h, services: [agnet] }\n')).toEqual(['gaia.yml:6 maintenance[0].services[0]: "agnet" is not a service of this file; give service names, or all']);
  });
});

describe("gaia.yml digest", () => {
  it("reads a cron time, or a cron with always, and refuses a bad one with its line", () => {
    expect(parseSettings('telegram:\n  admins: [42]\ndigest: "0 8 * * *"\n', "/srv/gaia").digest).toEqual({ cron: "0 8 * * *", always: false });
    expect(parseSettings('telegram:\n  admins: [42]\ndigest: { cron: "0 8 * * *", always: true }\n', "/srv/gaia").digest).toEqual({ cron: "0 8 * * *", always: true });
    expect(() => parseSettings('telegram:\n  admins: [42]\ndigest: "8 o clock"\n', "/srv/gaia")).toThrow(/gaia\.yml:3 digest: /);
  });
});
