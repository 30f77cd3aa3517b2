import { describe, expect, it } from "vitest";
import { ConfigError } from "../../config/config-error.js";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadSettings, parseSettings } from "../../config/load-settings.js";
import { makeTempHome } from "../helpers/temp-home.js";

function problemsOf(yaml: string): string[] {
  try {
    parseSettings(yaml, "/srv/gaia");
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected the settings to be refused");
}

describe("gaia.yml", () => {
  it("applies every default of the contract to a minimal file", () => {
    const settings = parseSettings("telegram:\n  admins: [42]\n", "/srv/gaia");
    expect(settings).toEqual({
      telegram: { admins: [42], chat: 42 },
      heartbeat: { everyMs: 60_000 },
      probe: { everyMs: 15_000 },
      host: { cpu: 90, memory: 90, disk: 90, sustain: 2 },
      services: [],
      tasks: [],
      alerts: { remindMs: 3_600_000 },
      approvals: { timeoutMs: 600_000 },
      api: { host: "127.0.0.1", port: 8787, allowRemote: false },
      rotation: { schedule: "0 9 1 * *", approval: "required", stores: [{ type: "env-file" }] },
      retention: { eventsMs: 90 * 86_400_000, samplesMs: 7 * 86_400_000 },
      backup: { everyMs: 86_400_000, keep: 7, folder: "/srv/gaia/.tmp/backups" },
    });
    expect(Object.isFrozen(settings.host)).toBe(true);
  });

  it("reads backup settings, and refuses a backup period or count out of bounds with its line", () => {
    expect(parseSettings("telegram:\n  admins: [42]\nbackup: { every: 6h, keep: 3, folder: /mnt/usb/gaia }\n", "/srv/gaia").backup).toEqual({ everyMs: 6 * 3_600_000, keep: 3, folder: "/mnt/usb/gaia" });
    expect(parseSettings("telegram:\n  admins: [42]\nbackup: { every: 0 }\n", "/srv/gaia").backup.everyMs).toBe(0);
    expect(() => parseSettings("telegram:\n  admins: [42]\nbackup:\n  every: 1m\n  keep: 0\n", "/srv/gaia")).toThrow(
      /gaia\.yml:4 backup\.every: must be from 1h to 30d \(or 0 for never\), not 1m[\s\S]*gaia\.yml:5 backup\.keep: must be from 1 to 100/,
    );
  });

  it("keeps the local API on loopback unless api.allowRemote says otherwise", () => {
    for (const listen of ["127.0.0.1:8787", "127.0.0.2:8787", "localhost:8787", "[::1]:8787"]) {
      expect(parseSettings(`telegram: { admins: [42] }\napi: { listen: "${listen}" }\n`, "/srv/gaia").api.allowRemote).toBe(false);
    }
    expect(() => parseSettings("telegram: { admins: [42] }\napi: { listen: 192.168.1.5:8787 }\n", "/srv/gaia")).toThrow(/gaia\.yml:2 api\.listen: 192\.168\.1\.5 is not a loopback address/);
    expect(() => parseSettings("telegram: { admins: [42] }\napi: { listen: my-host.lan:8787 }\n", "/srv/gaia")).toThrow(/not a loopback address/);
    expect(parseSettings("telegram: { admins: [42] }\napi: { listen: 0.0.0.0:8787, allowRemote: true }\n", "/srv/gaia").api).toEqual({ host: "0.0.0.0", port: 8787, allowRemote: true });
    expect(() => parseSettings("telegram: { admins: [42] }\napi: { allowRemote: yes please }\n", "/srv/gaia")).toThrow(/api\.allowRemote: must be true or false/);
  });

  it("reads services and tasks, resolving pidfiles against the home folder and memory as % or size", () => {
    const settings = parseSettings(
      [
        "telegram: { admins: [1, 2], chat: -100123 }",
        "services:",
        "  - name: agent",
        "    match: { process: node, args: agent.js }",
        "    cpu: 150",
        "    memory: 512MB",
        "  - name: db",
        "    match: { pidfile: .tmp/db.pid }",
        "    memory: 40",
        "  - name: web",
        "    match: { port: 8080 }",
        "    restart: systemctl restart web",
        "tasks:",
        "  - name: backup",
        "    expect: 1d",
        "    env: [GITHUB_TOKEN]",
        "alerts: { remind: 0 }",
      ].join("\n"),
      "/srv/gaia",
    );
    expect(settings.telegram.chat).toBe(-100123);
    expect(settings.services).toEqual([
      { name: "agent", match: { kind: "process", process: "node", args: "agent.js" }, cpu: 150, memory: { kind: "bytes", bytes: 512_000_000 } },
      { name: "db", match: { kind: "pidfile", pidfile: "/srv/gaia/.tmp/db.pid" }, memory: { kind: "percent", percent: 40 } },
      { name: "web", match: { kind: "port", port: 8080 }, restart: "systemctl restart web" },
    ]);
    expect(settings.tasks).toEqual([{ name: "backup", expectMs: 86_400_000, graceMs: 8_640_000, env: ["GITHUB_TOKEN"] }]);
    expect(settings.alerts.remindMs).toBe(0);
  });

  it("reports every problem at once, each with its line, key path and fix", () => {
    const yaml = [
      "telegram:", //                        1
      "  admins: []", //                     2
      "probe:", //                           3
      "  every: 5 minutes", //               4
      "host:", //                            5
      "  cpu: 120", //                       6
      "services:", //                        7
      "  - name: agent", //                  8
      "    match: { process: node }", //     9
      "  - name: Bad Name", //               10
      "    match: { process: a, port: 1 }", // 11
      "    memroy: 5", //                    12
    ].join("\n");
    expect(problemsOf(yaml)).toEqual([
      "gaia.yml:2 telegram.admins: list at least one admin's Telegram user id (ask @userinfobot for yours)",
      'gaia.yml:4 probe.every: "5 minutes" is not a duration; write it like 30s, 5m, 1h or 7d',
      "gaia.yml:6 host.cpu: must be a percentage from 1 to 100",
      "gaia.yml:10 services[1].name: must be 1-32 characters of a-z 0-9 _ -",
      "gaia.yml:11 services[1].match: give exactly one of process, pidfile, port, http, tcp, container, unit",
      'gaia.yml:12 services[1].memroy: unknown key "memroy"; did you mean memory?',
    ]);
  });

  it("names a gaia.yml it cannot read (here a directory) as a config problem, not a crash", () => {
    const home = makeTempHome();
    try {
      mkdirSync(join(home.home, "gaia.yml"));
      let problems: readonly string[] = [];
      try {
        loadSettings(join(home.home, "gaia.yml"), home.home);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems = error.problems;
      }
      expect(problems).toEqual([`gaia.yml: is a directory, not a file; make ${join(home.home, "gaia.yml")} a regular file readable by the user running gaia`]);
    } finally {
      home.cleanup();
    }
  });

  it("refuses a gaia.yml that is a FIFO at once (no wait for a writer), and a dangling link even where a missing file is fine", () => {
    const home = makeTempHome();
    try {
      const file = join(home.home, "gaia.yml");
      execFileSync("mkfifo", [file]);
      expect(() => loadSettings(file, home.home, { allowMissing: true })).toThrow(`gaia.yml: is a FIFO, socket or device, not a regular file; make ${file} a regular file readable by the user running gaia`);
      rmSync(file);
      symlinkSync(join(home.home, "elsewhere.yml"), file);
      expect(() => loadSettings(file, home.home, { allowMissing: true })).toThrow(`gaia.yml: is a symbolic link to ${join(home.home, "elsewhere.yml")}, which does not exist`);
    } finally {
      home.cleanup();
    }
  });

  it.each([
    ["an unknown section with a close name", "telegram: { admins: [1] }\nheartbeats:\n  every: 1m\n", 'gaia.yml:2 heartbeats: unknown key "heartbeats"; did you mean heartbeat?'],
    ["a duplicate name across services and tasks", "telegram: { admins: [1] }\nservices:\n  - name: x\n    match: { port: 1 }\ntasks:\n  - name: x\n", 'gaia.yml:6 tasks[0].name: "x" is already used by services[0]; names must be unique among services and tasks'],
    ["auto approval with a pat", "telegram: { admins: [1] }\ngithub: { identity: pat }\nrotation: { approval: auto }\n", "gaia.yml:3 rotation.approval: auto needs github.identity: app (a pasted token needs a human); use required"],
    ["a bad cron", "telegram: { admins: [1] }\nrotation:\n  schedule: every monday\n", 'gaia.yml:3 rotation.schedule: is not a cron expression; e.g. "0 9 1 * *" (09:00 on the 1st)'],
    ["port 0, which gaia status could not find", "telegram: { admins: [1] }\napi: { listen: 127.0.0.1:0 }\n", 'gaia.yml:2 api.listen: port 0 is not usable; give a fixed port from 1 to 65535, e.g. 127.0.0.1:8787'],
    ["a bad listen address", "telegram: { admins: [1] }\napi: { listen: localhost }\n", 'gaia.yml:2 api.listen: "localhost" is not HOST:PORT; write it like 127.0.0.1:8787'],
    ["a listen address beyond loopback without allowRemote", "telegram: { admins: [1] }\napi:\n  listen: 0.0.0.0:8787\n", "gaia.yml:3 api.listen: 0.0.0.0 is not a loopback address, so the local API would answer the network; listen on 127.0.0.1:8787, or add allowRemote: true under api: to mean it (keep the token secret, and firewall the port)"],
    ["a missing admins list", "probe: { every: 5s }\n", "gaia.yml:1 telegram: is required: add a telegram section with admins: [YOUR_TELEGRAM_USER_ID]"],
    ["an admin id given as text (wrong type, not missing)", 'telegram: { admins: ["alice"] }\n', "gaia.yml:1 telegram.admins[0]: must be a numeric Telegram id, e.g. 123456789"],
    ["a percentage given as text (wrong type, not missing)", 'telegram: { admins: [1] }\nhost: { disk: "lots" }\n', "gaia.yml:2 host.disk: must be a number from 1 to 100 (a percentage)"],
    ["a memory that is neither", "telegram: { admins: [1] }\nservices:\n  - name: a\n    match: { port: 1 }\n    memory: lots\n", 'gaia.yml:5 services[0].memory: "lots" is not a memory limit; give a percentage from 1 to 100 or a size such as 512MB'],
    ["a YAML syntax error", "telegram:\n  admins: [1\n", "gaia.yml:3 Flow sequence in block collection must be sufficiently indented and end with a ] (fix the YAML syntax there)"],
    ["args without process", "telegram: { admins: [1] }\nservices:\n  - name: a\n    match: { port: 1, args: x }\n", "gaia.yml:4 services[0].match.args: args only refines process; add process: NAME"],
    ["an unresolved alias", "telegram:\n  admins: *nope\n", "gaia.yml:2 alias *nope names no anchor (&nope) above it; define the anchor first or write the value out"],
    ["an alias bomb", "telegram: { admins: [1] }\na: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n", "gaia.yml:3 too many aliases"],
    ["a key written twice", "telegram: { admins: [1] }\nprobe:\n  every: 1s\nprobe:\n  every: 2s\n", 'gaia.yml:4 Map keys must be unique: "probe" is written twice here'],
    ["a service named host", "telegram: { admins: [1] }\nservices:\n  - name: host\n    match: { port: 1 }\n", 'gaia.yml:3 services[0].name: "host" is reserved (host is the host itself, all is /mute all); choose another name'],
    ["a task named all", "telegram: { admins: [1] }\ntasks:\n  - name: all\n", 'gaia.yml:3 tasks[0].name: "all" is reserved (host is the host itself, all is /mute all); choose another name'],
    ["reminders more often than the probe", "telegram: { admins: [1] }\nprobe: { every: 30s }\nalerts:\n  remind: 10s\n", "gaia.yml:4 alerts.remind: must be at least probe.every (30s), or 0 for never"],
    ["a probe faster than 1s", "telegram: { admins: [1] }\nprobe: { every: 500ms }\n", "gaia.yml:2 probe.every: must be from 1s to 1h, not 500ms"],
    ["a probe slower than an hour (Node would fire a 25d timer at once)", "telegram: { admins: [1] }\nprobe: { every: 25d }\n", "gaia.yml:2 probe.every: must be from 1s to 1h, not 25d"],
    ["a heartbeat faster than 10s", "telegram: { admins: [1] }\nheartbeat: { every: 5s }\n", "gaia.yml:2 heartbeat.every: must be from 10s to 1d, not 5s"],
    ["a heartbeat of 30d", "telegram: { admins: [1] }\nheartbeat: { every: 30d }\n", "gaia.yml:2 heartbeat.every: must be from 10s to 1d, not 30d"],
    ["a task timeout of 30d", "telegram: { admins: [1] }\ntasks:\n  - name: t\n    timeout: 30d\n", "gaia.yml:4 tasks[0].timeout: must be from 1s to 7d, not 30d"],
    ["a task expect of 2 years", "telegram: { admins: [1] }\ntasks:\n  - name: t\n    expect: 730d\n", "gaia.yml:4 tasks[0].expect: must be from 1s to 366d, not 730d"],
    ["a huge approvals.timeout", "telegram: { admins: [1] }\napprovals: { timeout: 99999999999d }\n", "gaia.yml:2 approvals.timeout: must be from 1s to 7d"],
    ["a reminder period of a year", "telegram: { admins: [1] }\nalerts: { remind: 365d }\n", "gaia.yml:2 alerts.remind: must be from 1s to 30d (or 0 for never), not 365d"],
    ["retention of a minute", "telegram: { admins: [1] }\nretention: { samples: 1m }\n", "gaia.yml:2 retention.samples: must be from 1h to 3650d, not 1m"],
  ])("refuses %s with a clear line", (_story, yaml, expected) => {
    expect(problemsOf(yaml).some((line) => line.startsWith(expected))).toBe(true);
  });

  it("accepts each duration at its bounds, and 0 for alerts.remind", () => {
    const low = parseSettings(
      "telegram: { admins: [1] }\nprobe: { every: 1s }\nheartbeat: { every: 10s }\nalerts: { remind: 1s }\napprovals: { timeout: 1s }\nretention: { events: 1h, samples: 1h }\ntasks:\n  - { name: t, expect: 1s, grace: 0, timeout: 1s }\n",
      "/srv/gaia",
    );
    expect(low.probe.everyMs).toBe(1000);
    const high = parseSettings(
      "telegram: { admins: [1] }\nprobe: { every: 1h }\nheartbeat: { every: 1d }\nalerts: { remind: 0 }\napprovals: { timeout: 7d }\nretention: { events: 3650d, samples: 3650d }\ntasks:\n  - { name: t, expect: 366d, grace: 366d, timeout: 7d }\n",
      "/srv/gaia",
    );
    expect(high.tasks[0].timeoutMs).toBe(7 * 86_400_000);
    expect(high.alerts.remindMs).toBe(0);
  });

  it("reports cross-checks (duplicate names, grace without expect) together with the schema's problems", () => {
    const problems = problemsOf(
      [
        "telegram: { admins: [1] }", // 1
        "host: { cpu: 500 }", //        2
        "services:", //                 3
        "  - name: x", //               4
        "    match: { port: 1 }", //    5
        "tasks:", //                    6
        "  - name: x", //               7
        "    grace: 1h", //             8
      ].join("\n"),
    );
    expect(problems).toEqual([
      "gaia.yml:2 host.cpu: must be a percentage from 1 to 100",
      'gaia.yml:7 tasks[0].name: "x" is already used by services[0]; names must be unique among services and tasks',
      "gaia.yml:8 tasks[0].grace: grace only applies with expect; add expect: DURATION",
    ]);
  });

  it("lists the first 50 of 50,000 unknown keys and counts the rest, in linear time (this took minutes)", () => {
    const yaml = ["telegram: { admins: [1] }", ...Array.from({ length: 50_000 }, (_, i) => `key${i}: 1`)].join("\n");
    const problems = problemsOf(yaml);
    expect(problems).toHaveLength(51);
    expect(problems[0]).toMatch(/^gaia\.yml:2 key0: unknown key "key0"/);
    expect(problems[49]).toMatch(/^gaia\.yml:51 key49: unknown key/);
    expect(problems[50]).toBe("…and 49950 more problems (fix the ones above and run gaia check again)");
  }, 60_000);
});
