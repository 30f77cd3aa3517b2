import { describe, expect, it } from "vitest";
import type { GaiaConfig, ServiceConfig } from "../../config/types.js";
import {
  DEFAULT_FLAPPING,
  acknowledge,
  conditionKey,
  emptyState,
  evaluate,
  restoreState,
  ruleSettingsFrom,
  type MonitorState,
  type Mute,
  type RuleSettings,
  type Transition,
} from "../../monitor/rules.js";
import type { HostFigures, ServiceObservation, Snapshot } from "../../monitor/snapshot.js";

// ---------------------------------------------------------------------------------------------
// Builders: a probe is written as compact data, time advances by `probeMs` per probe.

const T0 = Date.parse("2026-01-05T08:00:00.000Z");
const PROBE_MS = 15_000;
const MIN = 60_000;

/** What one probe saw, written short: host percentages and services as "up", "down" or figures. */
interface Probe {
  cpu?: number;
  memory?: number;
  disk?: number;
  services?: Record<string, "up" | "down" | Partial<ServiceObservation>>;
}

const quietHost: HostFigures = {
  cpuPercent: 10,
  memoryPercent: 40,
  memoryUsedBytes: 4e9,
  memoryTotalBytes: 10e9,
  diskPercent: 50,
  diskUsedBytes: 50e9,
  diskTotalBytes: 100e9,
  load: [0.1, 0.1, 0.1],
  uptimeSeconds: 1000,
  bootTime: new Date(T0 - 1_000_000),
};

function snapshotOf(probe: Probe, at: Date): Snapshot {
  const services = Object.entries(probe.services ?? {}).map(([name, seen]): ServiceObservation => {
    const up = seen === "up" || (typeof seen === "object" && seen.up !== false);
    const base: ServiceObservation = up
      ? { name, up: true, pids: [100], processCount: 1, cpuPercent: 1, memoryBytes: 1e6, memoryPercent: 0.01, startedAt: new Date(T0) }
      : { name, up: false, pids: [], processCount: 0, cpuPercent: 0, memoryBytes: 0, memoryPercent: 0 };
    return deepFreeze({ ...base, ...(typeof seen === "object" ? seen : {}) });
  });
  return deepFreeze({
    at,
    host: {
      ...quietHost,
      cpuPercent: probe.cpu ?? quietHost.cpuPercent,
      memoryPercent: probe.memory ?? quietHost.memoryPercent,
      diskPercent: probe.disk ?? quietHost.diskPercent,
    },
    services,
    topProcesses: () => [],
  });
}

function service(name: string, extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return { name, match: { kind: "process", process: name }, ...extra };
}

function settings(overrides: Partial<RuleSettings> & { sustain?: number } = {}): RuleSettings {
  const { sustain, ...rest } = overrides;
  return {
    host: { cpu: 90, memory: 90, disk: 90, sustain: sustain ?? 2 },
    services: [],
    remindMs: 0,
    flapping: { ...DEFAULT_FLAPPING },
    mutes: [],
    ...rest,
  };
}

/** Inputs are frozen: the rules must never change the state or snapshot they are given. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !(value instanceof Date)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

interface RunOptions {
  /** Per-probe settings (mutes that start or end, config reloads). */
  settingsAt?: (index: number) => RuleSettings;
  /** Persist and reload the state (JSON round trip) before every probe, like a restart. */
  restartEveryProbe?: boolean;
  /** Acknowledge these keys just before the probe with this index. */
  acknowledgeAt?: Record<number, string[]>;
  probeMs?: number;
  start?: MonitorState;
}

interface RunResult {
  transitions: Array<Transition & { index: number }>;
  state: MonitorState;
  /** Compact lines: "index key change" plus flags, e.g. "3 host:cpu opened muted". */
  lines: string[];
}

function runProbes(probes: Probe[], rules: RuleSettings, options: RunOptions = {}): RunResult {
  let state = options.start ?? emptyState();
  const transitions: RunResult["transitions"] = [];
  const probeMs = options.probeMs ?? PROBE_MS;
  probes.forEach((probe, index) => {
    const now = new Date(T0 + index * probeMs);
    for (const key of options.acknowledgeAt?.[index] ?? []) state = acknowledge(state, key, now);
    if (options.restartEveryProbe) state = JSON.parse(JSON.stringify(state)) as MonitorState;
    const result = evaluate(deepFreeze(state), snapshotOf(probe, now), options.settingsAt?.(index) ?? rules, now);
    for (const t of result.transitions) transitions.push({ ...t, index });
    state = result.state;
  });
  return { transitions, state, lines: transitions.map(line) };
}

function line(t: Transition & { index: number }): string {
  return [String(t.index), t.key, t.change, t.muted ? "muted" : "", t.suppressed ? "suppressed" : ""]
    .filter(Boolean)
    .join(" ");
}

/** Host cpu probes from a list of values. */
const cpu = (values: number[]): Probe[] => values.map((value) => ({ cpu: value }));

/** Service probes from a string: "u" up, "d" down, e.g. "uudduu". */
function agent(pattern: string, name = "agent"): Probe[] {
  return [...pattern].map((c) => ({ services: { [name]: c === "u" ? "up" : "down" } }));
}

/** A small deterministic generator (mulberry32), so every generated row is reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Independent oracles: written from the rule's wording with look-back windows instead of counters.

/** "Open after `sustain` probes in a row at or above, clear after `sustain` in a row below." */
function thresholdOracle(values: number[], threshold: number, sustain: number): string[] {
  const out: string[] = [];
  let open = false;
  for (let i = 0; i < values.length; i++) {
    if (i + 1 < sustain) continue;
    const window = values.slice(i + 1 - sustain, i + 1);
    if (!open && window.every((v) => v >= threshold)) {
      open = true;
      out.push(`${i} opened`);
    } else if (open && window.every((v) => v < threshold)) {
      open = false;
      out.push(`${i} resolved`);
    }
  }
  return out;
}

/** "Down after `sustain` probes in a row without a match, up on the first match." */
function downOracle(pattern: string, sustain: number): string[] {
  const out: string[] = [];
  let down = false;
  for (let i = 0; i < pattern.length; i++) {
    if (down && pattern[i] === "u") {
      down = false;
      out.push(`${i} resolved`);
    } else if (!down && i + 1 >= sustain && pattern.slice(i + 1 - sustain, i + 1) === "d".repeat(sustain)) {
      down = true;
      out.push(`${i} opened`);
    }
  }
  return out;
}

const changesOf = (result: RunResult, key: string): string[] =>
  result.transitions.filter((t) => t.key === key && t.change !== "reminder").map((t) => `${t.index} ${t.change}`);

// ---------------------------------------------------------------------------------------------

describe("host thresholds", () => {
  const rows: Array<{ story: string; sustain: number; values: number[]; expected: string[] }> = [
    { story: "one probe at the threshold opens with sustain 1", sustain: 1, values: [50, 90, 50], expected: ["1 opened", "2 resolved"] },
    { story: "a single spike is ignored with sustain 2", sustain: 2, values: [50, 95, 50, 95, 50], expected: [] },
    { story: "two probes in a row open with sustain 2", sustain: 2, values: [50, 95, 95, 95, 50, 50], expected: ["2 opened", "5 resolved"] },
    { story: "one probe below does not clear with sustain 2", sustain: 2, values: [95, 95, 50, 95, 50, 50], expected: ["1 opened", "5 resolved"] },
    { story: "three probes in a row open with sustain 3", sustain: 3, values: [95, 95, 50, 95, 95, 95, 10, 10, 10], expected: ["5 opened", "8 resolved"] },
    { story: "sustain 3 needs three below to clear", sustain: 3, values: [95, 95, 95, 1, 1, 95, 1, 1, 1], expected: ["2 opened", "8 resolved"] },
    { story: "exactly the threshold counts as at or above", sustain: 2, values: [90, 90, 89.99, 89.99], expected: ["1 opened", "3 resolved"] },
    { story: "just below the threshold never opens", sustain: 1, values: [89.999, 89.999, 89.999], expected: [] },
    { story: "89/91 oscillation with sustain 2 never opens", sustain: 2, values: [89, 91, 89, 91, 89, 91, 89, 91], expected: [] },
    { story: "89/91 oscillation with sustain 3 never opens", sustain: 3, values: [89, 91, 89, 91, 91, 89, 91, 89], expected: [] },
    { story: "89/91 oscillation while open never clears", sustain: 2, values: [95, 95, 89, 91, 89, 91, 89, 91, 89, 89], expected: ["1 opened", "9 resolved"] },
    { story: "sustain 1 follows every crossing", sustain: 1, values: [89, 91, 89, 91], expected: ["1 opened", "2 resolved", "3 opened"] },
    { story: "100% stays open and reports once", sustain: 2, values: [100, 100, 100, 100, 100, 100], expected: ["1 opened"] },
    { story: "a sustain of 0 in settings behaves like 1", sustain: 0, values: [95, 10], expected: ["0 opened", "1 resolved"] },
  ];
  const conditions = ["cpu", "memory", "disk"] as const;
  const cases = conditions.flatMap((condition) => rows.map((row) => ({ ...row, condition })));

  it.each(cases)("host $condition: $story", ({ condition, sustain, values, expected }) => {
    const probes = values.map((value) => ({ [condition]: value }));
    const result = runProbes(probes, settings({ sustain }));
    expect(changesOf(result, `host:${condition}`)).toEqual(expected);
    // The other two host conditions stay quiet.
    expect(result.transitions.every((t) => t.key === `host:${condition}`)).toBe(true);
  });

  it("reports value, threshold, unit, subject and duration on the transitions", () => {
    const result = runProbes(cpu([95, 97, 10, 12]), settings({ sustain: 2 }));
    const [opened, resolved] = result.transitions;
    expect(opened).toMatchObject({
      key: "host:cpu",
      subject: { kind: "host", name: "host" },
      condition: "cpu",
      change: "opened",
      at: new Date(T0 + PROBE_MS).toISOString(),
      openedAt: new Date(T0 + PROBE_MS).toISOString(),
      figures: { value: 97, threshold: 90, unit: "%" },
      muted: false,
      suppressed: false,
    });
    expect(opened.durationMs).toBeUndefined();
    expect(resolved).toMatchObject({
      change: "resolved",
      openedAt: new Date(T0 + PROBE_MS).toISOString(),
      at: new Date(T0 + 3 * PROBE_MS).toISOString(),
      durationMs: 2 * PROBE_MS,
      figures: { value: 12, threshold: 90, unit: "%" },
    });
  });

  it("keeps pending and open in the state with the consecutive counts", () => {
    let result = runProbes(cpu([95]), settings({ sustain: 3 }));
    expect(result.state.conditions["host:cpu"]).toMatchObject({ status: "pending", above: 1, below: 0 });
    result = runProbes(cpu([95, 95, 95, 10]), settings({ sustain: 3 }));
    expect(result.state.conditions["host:cpu"]).toMatchObject({ status: "open", above: 0, below: 1 });
  });

  it("a figure the probe could not read (NaN) neither opens nor clears", () => {
    const result = runProbes(cpu([95, NaN, 95, NaN, 10, NaN, 10]), settings({ sustain: 2 }));
    expect(changesOf(result, "host:cpu")).toEqual(["2 opened", "6 resolved"]);
  });

  it("a threshold lowered by a config reload applies at the next probe", () => {
    const low = settings({ sustain: 1, host: { cpu: 50, memory: 90, disk: 90, sustain: 1 } });
    const result = runProbes(cpu([60, 60, 60]), settings({ sustain: 1 }), { settingsAt: (i) => (i < 2 ? settings({ sustain: 1 }) : low) });
    expect(result.lines).toEqual(["2 host:cpu opened"]);
  });
});

describe("sustain and hysteresis match a simple oracle on random sequences", () => {
  // 4 sustains × 80 seeds of 40 probes hovering around the threshold.
  const rows = [1, 2, 3, 4].flatMap((sustain) =>
    Array.from({ length: 80 }, (_, i) => {
      const next = random(sustain * 1000 + i);
      const values = Array.from({ length: 40 }, () => {
        const r = next();
        // Mostly near the threshold, sometimes exactly on it, with runs likely enough to open.
        return r < 0.1 ? 90 : Math.round((80 + r * 20) * 10) / 10;
      });
      return { sustain, seed: i, values };
    }),
  );

  it.each(rows)("host cpu, sustain $sustain, seed $seed", ({ sustain, values }) => {
    const rules = settings({ sustain });
    const result = runProbes(cpu(values), rules);
    expect(changesOf(result, "host:cpu")).toEqual(thresholdOracle(values, 90, sustain));
    // Persisting the state between every probe (a restart each time) changes nothing.
    expect(runProbes(cpu(values), rules, { restartEveryProbe: true }).transitions).toEqual(result.transitions);
  });

  const downRows = [1, 2, 3].flatMap((sustain) =>
    Array.from({ length: 60 }, (_, i) => {
      const next = random(99_000 + sustain * 1000 + i);
      // Runs of up and down of random length, so long outages and blips both occur.
      let pattern = "";
      while (pattern.length < 40) pattern += (next() < 0.5 ? "u" : "d").repeat(1 + Math.floor(next() * 4));
      return { sustain, seed: i, pattern: pattern.slice(0, 40) };
    }),
  );

  it.each(downRows)("service down, sustain $sustain, seed $seed", ({ sustain, pattern }) => {
    // Flapping off here: this row checks the down rule alone.
    const rules = settings({ sustain, services: [service("agent")], flapping: { windowMs: 0, changes: 0 } });
    const result = runProbes(agent(pattern), rules);
    expect(changesOf(result, "service:agent:down")).toEqual(downOracle(pattern, sustain));
    expect(runProbes(agent(pattern), rules, { restartEveryProbe: true }).transitions).toEqual(result.transitions);
  });

  const serviceCpuRows = [1, 2, 3].flatMap((sustain) =>
    Array.from({ length: 30 }, (_, i) => {
      const next = random(55_000 + sustain * 1000 + i);
      const values = Array.from({ length: 30 }, () => Math.round(140 + next() * 40));
      return { sustain, seed: i, values };
    }),
  );

  it.each(serviceCpuRows)("service cpu over 100% of one core, sustain $sustain, seed $seed", ({ sustain, values }) => {
    const rules = settings({ sustain, services: [service("agent", { cpu: 160 })] });
    const probes = values.map((value) => ({ services: { agent: { cpuPercent: value } } }));
    const result = runProbes(probes, rules);
    expect(changesOf(result, "service:agent:cpu")).toEqual(thresholdOracle(values, 160, sustain));
  });
});

describe("service down and recovery", () => {
  const rows: Array<{ story: string; sustain: number; pattern: string; expected: string[] }> = [
    { story: "goes down after one probe with sustain 1", sustain: 1, pattern: "uudu", expected: ["2 opened", "3 resolved"] },
    { story: "a one-probe blip is ignored with sustain 2", sustain: 2, pattern: "ududuu", expected: [] },
    { story: "two missing probes mean down with sustain 2", sustain: 2, pattern: "uudduu", expected: ["3 opened", "4 resolved"] },
    { story: "three missing probes mean down with sustain 3", sustain: 3, pattern: "uddudddduu", expected: ["6 opened", "8 resolved"] },
    { story: "recovers on the FIRST matching probe whatever the sustain", sustain: 3, pattern: "ddddud", expected: ["2 opened", "4 resolved"] },
    { story: "a service never seen up since start is down", sustain: 2, pattern: "dddd", expected: ["1 opened"] },
    { story: "a service that comes up late was down from the start", sustain: 1, pattern: "ddu", expected: ["0 opened", "2 resolved"] },
    { story: "staying down reports once", sustain: 2, pattern: "uddddddddd", expected: ["2 opened"] },
  ];

  it.each(rows)("$story", ({ sustain, pattern, expected }) => {
    const result = runProbes(agent(pattern), settings({ sustain, services: [service("agent")] }));
    expect(changesOf(result, "service:agent:down")).toEqual(expected);
  });

  it("the recovery carries the downtime and the figures say up or down", () => {
    const result = runProbes(agent("udddu"), settings({ sustain: 2, services: [service("agent")] }));
    const [down, up] = result.transitions;
    expect(down).toMatchObject({ key: "service:agent:down", subject: { kind: "service", name: "agent" }, condition: "down", change: "opened", figures: { up: false } });
    expect(up).toMatchObject({ change: "resolved", durationMs: 2 * PROBE_MS, openedAt: down.at, figures: { up: true } });
  });

  it("a service the probe did not report at all counts as missing", () => {
    const result = runProbes([{}, {}], settings({ sustain: 2, services: [service("agent")] }));
    expect(result.lines).toEqual(["1 service:agent:down opened"]);
  });

  it("services are independent of each other, in config order", () => {
    const probes: Probe[] = [
      { services: { web: "up", agent: "up" } },
      { services: { web: "down", agent: "down" } },
      { services: { web: "down", agent: "up" } },
    ];
    const result = runProbes(probes, settings({ sustain: 1, services: [service("web"), service("agent")] }));
    expect(result.lines).toEqual(["1 service:web:down opened", "1 service:agent:down opened", "2 service:agent:down resolved"]);
  });

  const pidRows = Array.from({ length: 20 }, (_, seed) => {
    const next = random(7_000 + seed);
    return Array.from({ length: 12 }, () => {
      const count = 1 + Math.floor(next() * 8);
      return { pids: Array.from({ length: count }, () => 1000 + Math.floor(next() * 30000)), processCount: count };
    });
  }).map((probes, seed) => ({ seed, probes }));

  it.each(pidRows)("changing pids and process counts of a running service change nothing (seed $seed)", ({ probes }) => {
    const result = runProbes(
      probes.map((seen) => ({ services: { agent: seen } })),
      settings({ sustain: 1, services: [service("agent", { cpu: 90, memory: { kind: "percent", percent: 50 } })] }),
    );
    expect(result.transitions).toEqual([]);
  });
});

describe("service cpu and memory", () => {
  it.each([
    { story: "cpu in % of one core, at the threshold", limits: { cpu: 150 }, seen: { cpuPercent: 150 }, key: "cpu", figures: { value: 150, threshold: 150, unit: "%core" } },
    { story: "memory as % of total, at the threshold", limits: { memory: { kind: "percent", percent: 20 } }, seen: { memoryPercent: 20, memoryBytes: 2e9 }, key: "memory", figures: { value: 20, threshold: 20, unit: "%" } },
    { story: "memory as absolute bytes, at the limit", limits: { memory: { kind: "bytes", bytes: 512 * 2 ** 20 } }, seen: { memoryBytes: 512 * 2 ** 20, memoryPercent: 5 }, key: "memory", figures: { value: 512 * 2 ** 20, threshold: 512 * 2 ** 20, unit: "bytes" } },
  ] as const)("opens on $story", ({ limits, seen, key, figures }) => {
    const result = runProbes([{ services: { agent: seen } }, { services: { agent: seen } }], settings({ sustain: 2, services: [service("agent", limits as Partial<ServiceConfig>)] }));
    expect(result.transitions).toHaveLength(1);
    expect(result.transitions[0]).toMatchObject({ index: 1, key: `service:agent:${key}`, change: "opened", figures });
  });

  it.each([
    { story: "a bytes limit ignores the percentage", memory: { kind: "bytes", bytes: 1e9 } as const, seen: { memoryBytes: 0.9e9, memoryPercent: 99 }, opens: false },
    { story: "a bytes limit uses the bytes", memory: { kind: "bytes", bytes: 1e9 } as const, seen: { memoryBytes: 1.1e9, memoryPercent: 1 }, opens: true },
    { story: "a percent limit ignores the bytes", memory: { kind: "percent", percent: 50 } as const, seen: { memoryBytes: 1e12, memoryPercent: 49.9 }, opens: false },
    { story: "a percent limit uses the percentage", memory: { kind: "percent", percent: 50 } as const, seen: { memoryBytes: 1, memoryPercent: 50 }, opens: true },
  ])("$story", ({ memory, seen, opens }) => {
    const result = runProbes([{ services: { agent: seen } }], settings({ sustain: 1, services: [service("agent", { memory })] }));
    expect(result.lines).toEqual(opens ? ["0 service:agent:memory opened"] : []);
  });

  it("a service without limits has no cpu or memory conditions", () => {
    const result = runProbes([{ services: { agent: { cpuPercent: 800, memoryPercent: 99 } } }], settings({ sustain: 1, services: [service("agent")] }));
    expect(result.transitions).toEqual([]);
    expect(Object.keys(result.state.conditions).sort()).toEqual(
      ["host:cpu", "host:disk", "host:memory", "service:agent:down", "service:agent:flapping"].sort(),
    );
  });

  it("no threshold for a service that is down, whatever the probe reports", () => {
    const seen = { up: false, cpuPercent: 500, memoryPercent: 99, memoryBytes: 1e12 };
    const result = runProbes(
      [{ services: { agent: seen } }, { services: { agent: seen } }],
      settings({ sustain: 1, services: [service("agent", { cpu: 90, memory: { kind: "percent", percent: 50 } })] }),
    );
    expect(result.lines).toEqual(["0 service:agent:down opened"]);
  });

  it("an open cpu incident clears when the service goes down, alongside the down alert", () => {
    const hot = { cpuPercent: 300 };
    const probes: Probe[] = [{ services: { agent: hot } }, { services: { agent: hot } }, agent("d")[0], agent("d")[0]];
    const result = runProbes(probes, settings({ sustain: 2, services: [service("agent", { cpu: 200 })] }));
    expect(result.lines).toEqual(["1 service:agent:cpu opened", "3 service:agent:down opened", "3 service:agent:cpu resolved"]);
  });
});

describe("flapping", () => {
  const flappy = (windowMs = 10 * MIN, changes = 4, sustain = 1) =>
    settings({ sustain, services: [service("agent")], flapping: { windowMs, changes } });

  it("the fourth down/up change within the window opens one flapping alert and mutes the rest", () => {
    const result = runProbes(agent("udududududu"), flappy());
    expect(result.lines).toEqual([
      "1 service:agent:down opened",
      "2 service:agent:down resolved",
      "3 service:agent:down opened",
      "4 service:agent:down resolved suppressed",
      "4 service:agent:flapping opened",
      "5 service:agent:down opened suppressed",
      "6 service:agent:down resolved suppressed",
      "7 service:agent:down opened suppressed",
      "8 service:agent:down resolved suppressed",
      "9 service:agent:down opened suppressed",
      "10 service:agent:down resolved suppressed",
    ]);
    expect(result.transitions.find((t) => t.condition === "flapping")).toMatchObject({
      subject: { kind: "service", name: "agent" },
      figures: { up: true, changes: 4 },
      muted: false,
      suppressed: false,
    });
  });

  it("resolves after a full window without a change, saying the service is up", () => {
    // Probes every minute: flapping at minute 4, last change at minute 4, settled at minute 14.
    const result = runProbes(agent("ududu" + "u".repeat(12)), flappy(), { probeMs: MIN });
    expect(changesOf(result, "service:agent:flapping")).toEqual(["4 opened", "14 resolved"]);
    const resolved = result.transitions.find((t) => t.key === "service:agent:flapping" && t.change === "resolved");
    expect(resolved).toMatchObject({ figures: { up: true, changes: 0 }, durationMs: 10 * MIN });
  });

  it("resolves after a full window even when it settles down, saying the service is down", () => {
    const result = runProbes(agent("ududu" + "d".repeat(14)), flappy(), { probeMs: MIN });
    expect(changesOf(result, "service:agent:flapping")).toEqual(["4 opened", "15 resolved"]);
    const resolved = result.transitions.find((t) => t.key === "service:agent:flapping" && t.change === "resolved");
    expect(resolved?.figures).toEqual({ up: false, changes: 0 });
    // The down incident stays open: it was recorded while flapping and never recovered.
    expect(result.state.conditions["service:agent:down"].status).toBe("open");
  });

  it("a change inside the window keeps it flapping", () => {
    // Changes at 1..4, again at 12 (down) and 13 (up): window is counted from the last change.
    const result = runProbes(agent("ududu" + "u".repeat(7) + "du" + "u".repeat(12)), flappy(), { probeMs: MIN });
    expect(changesOf(result, "service:agent:flapping")).toEqual(["4 opened", "23 resolved"]);
  });

  it.each([
    { story: "changes spread wider than the window are not flapping", pattern: "ud" + "u".repeat(4) + "ud" + "u".repeat(4) + "ud", probeMs: 2 * MIN, expected: [] },
    { story: "three changes do not reach four", pattern: "ududddddd", probeMs: MIN, expected: [] },
    { story: "a higher bar needs more changes", pattern: "udududuuuu", probeMs: MIN, changes: 6, expected: ["6 opened"] },
    { story: "a lower bar needs fewer", pattern: "uduuuuuuuuuuuuu", probeMs: MIN, changes: 2, expected: ["2 opened", "12 resolved"] },
    { story: "changes disabled (0) never flap", pattern: "udududududud", probeMs: MIN, changes: 0, expected: [] },
    { story: "blips shorter than sustain are not changes", pattern: "udududududud", probeMs: MIN, sustain: 2, expected: [] },
    { story: "with sustain 2, real outages count", pattern: "udduudduudduudduu", probeMs: MIN, sustain: 2, expected: ["7 opened"] },
  ])("$story", ({ pattern, probeMs, changes, sustain, expected }) => {
    const result = runProbes(agent(pattern), flappy(10 * MIN, changes ?? 4, sustain ?? 1), { probeMs });
    expect(changesOf(result, "service:agent:flapping")).toEqual(expected);
  });

  it("flapping of one service leaves another service's alerts alone", () => {
    const web = "uuuuuuuuddd";
    const probes = [..."udududududu"].map((c, i) => ({ services: { agent: c === "u" ? "up" : "down", web: web[i] === "u" ? "up" : "down" } }) as Probe);
    const result = runProbes(probes, settings({ sustain: 1, services: [service("agent"), service("web")] }));
    expect(result.lines.filter((l) => l.includes("web"))).toEqual(["8 service:web:down opened"]);
  });

  it("survives a restart mid-flap", () => {
    const pattern = "udududuudu" + "u".repeat(15);
    const straight = runProbes(agent(pattern), flappy(), { probeMs: MIN });
    const restarting = runProbes(agent(pattern), flappy(), { probeMs: MIN, restartEveryProbe: true });
    expect(restarting.transitions).toEqual(straight.transitions);
    expect(changesOf(straight, "service:agent:flapping")).toEqual(["4 opened", "19 resolved"]);
  });
});

describe("reminders", () => {
  const hourly = (extra: Partial<RuleSettings> = {}) => settings({ sustain: 1, remindMs: 60 * MIN, services: [service("agent")], ...extra });

  it.each([
    { probeMinutes: 15, probes: 13, expected: [4, 8, 12] },
    { probeMinutes: 10, probes: 13, expected: [6, 12] },
    { probeMinutes: 7, probes: 20, expected: [9, 18] }, // 63 min after the last notice, not 126 after opening
    { probeMinutes: 60, probes: 4, expected: [1, 2, 3] },
  ])("reminds of an ongoing down every hour (probes every $probeMinutes min)", ({ probeMinutes, probes, expected }) => {
    const result = runProbes(agent("d".repeat(probes)), hourly(), { probeMs: probeMinutes * MIN });
    const reminders = result.transitions.filter((t) => t.change === "reminder");
    expect(reminders.map((t) => t.index)).toEqual(expected);
    for (const r of reminders) {
      expect(r).toMatchObject({ key: "service:agent:down", condition: "down", openedAt: new Date(T0).toISOString(), figures: { up: false } });
      expect(r.durationMs).toBe(r.index * probeMinutes * MIN);
    }
  });

  it("reminds of a host resource with its latest figures", () => {
    const values = [95, 96, 97, 98, 99];
    const result = runProbes(cpu(values), settings({ sustain: 1, remindMs: 30 * MIN }), { probeMs: 15 * MIN });
    expect(result.lines).toEqual(["0 host:cpu opened", "2 host:cpu reminder", "4 host:cpu reminder"]);
    expect(result.transitions[2].figures).toEqual({ value: 99, threshold: 90, unit: "%" });
  });

  it("remind 0 never reminds", () => {
    const result = runProbes(agent("d".repeat(50)), hourly({ remindMs: 0 }), { probeMs: 30 * MIN });
    expect(result.lines).toEqual(["0 service:agent:down opened"]);
  });

  it("no reminder once resolved", () => {
    const result = runProbes(agent("dddduuuuuuuu"), hourly(), { probeMs: 30 * MIN });
    expect(result.lines).toEqual(["0 service:agent:down opened", "2 service:agent:down reminder", "4 service:agent:down resolved"]);
  });

  it("acknowledging stops the reminders; the next incident starts unacknowledged", () => {
    const result = runProbes(agent("ddddddddudddd"), hourly(), { probeMs: 30 * MIN, acknowledgeAt: { 3: ["service:agent:down"] } });
    expect(result.lines).toEqual([
      "0 service:agent:down opened",
      "2 service:agent:down reminder",
      "8 service:agent:down resolved",
      "9 service:agent:down opened",
      "11 service:agent:down reminder",
    ]);
  });

  it("acknowledge survives a restart", () => {
    const result = runProbes(agent("dddddd"), hourly(), {
      probeMs: 30 * MIN,
      acknowledgeAt: { 1: ["service:agent:down"] },
      restartEveryProbe: true,
    });
    expect(result.lines).toEqual(["0 service:agent:down opened"]);
    expect(result.state.conditions["service:agent:down"]).toMatchObject({ acknowledged: true, acknowledgedAt: new Date(T0 + 30 * MIN).toISOString() });
  });

  it("acknowledge of an ok, unknown or odd key changes nothing", () => {
    const state = runProbes(agent("u"), hourly()).state;
    const now = new Date(T0);
    for (const key of ["service:agent:down", "service:nope:down", "__proto__", "constructor", "host:cpu"]) {
      expect(acknowledge(state, key, now)).toBe(state);
    }
  });

  it("acknowledge does not change the state it is given", () => {
    const state = deepFreeze(runProbes(agent("d"), hourly()).state);
    const copy = JSON.parse(JSON.stringify(state));
    const next = acknowledge(state, "service:agent:down", new Date(T0));
    expect(state).toEqual(copy);
    expect(next.conditions["service:agent:down"].acknowledged).toBe(true);
  });

  it("flapping reminds as one incident, not through each down", () => {
    const result = runProbes(agent("udud" + "d".repeat(8)), hourly({ flapping: { windowMs: 10 * 60 * MIN, changes: 3 } }), { probeMs: 30 * MIN });
    expect(result.lines).toEqual([
      "1 service:agent:down opened",
      "2 service:agent:down resolved",
      "3 service:agent:down opened suppressed",
      "3 service:agent:flapping opened",
      "5 service:agent:flapping reminder",
      "7 service:agent:flapping reminder",
      "9 service:agent:flapping reminder",
      "11 service:agent:flapping reminder",
    ]);
  });
});

describe("mutes", () => {
  const muteFor = (subject: string, untilMinutes: number): Mute => ({ subject, until: new Date(T0 + untilMinutes * MIN) });
  const rulesWith = (mutes: Mute[]) =>
    settings({ sustain: 1, remindMs: 60 * MIN, services: [service("agent", { cpu: 90 }), service("web")], mutes });
  const agentWith = (mutes: Mute[]) => settings({ sustain: 1, remindMs: 60 * MIN, services: [service("agent")], mutes });
  const probes = (n: number): Probe[] => Array.from({ length: n }, () => ({ cpu: 99, services: { agent: "down", web: "down" } }));

  it.each([
    { mute: "agent", muted: ["service:agent:down"] },
    { mute: "web", muted: ["service:web:down"] },
    { mute: "all", muted: ["host:cpu", "service:agent:down", "service:web:down"] },
    { mute: "backup", muted: [] }, // a task's mute does not touch services
    { mute: "host", muted: [] }, // the host is muted only by "all"
  ])("muting $mute records everything but marks only its incidents muted", ({ mute, muted }) => {
    const result = runProbes(probes(1), rulesWith([muteFor(mute, 60)]));
    const opened = result.transitions.map((t) => [t.key, t.muted]);
    expect(opened).toEqual([
      ["host:cpu", muted.includes("host:cpu")],
      ["service:agent:down", muted.includes("service:agent:down")],
      ["service:web:down", muted.includes("service:web:down")],
    ]);
  });

  it("a muted service gets no reminders, the others do", () => {
    const result = runProbes(probes(5), rulesWith([muteFor("agent", 24 * 60)]), { probeMs: 30 * MIN });
    expect(result.lines.filter((l) => l.includes("reminder"))).toEqual([
      "2 host:cpu reminder",
      "2 service:web:down reminder",
      "4 host:cpu reminder",
      "4 service:web:down reminder",
    ]);
  });

  it("recoveries of a muted service are recorded, muted", () => {
    const result = runProbes(agent("ddu"), agentWith([muteFor("agent", 60)]));
    expect(result.lines).toEqual(["0 service:agent:down opened muted", "2 service:agent:down resolved muted"]);
  });

  it("when a mute ends and the incident is still open, nothing is re-sent until the next reminder", () => {
    // Opened muted at 0, mute ends at 50 min; reminders fall due at 60, 120… (not at 50).
    const result = runProbes(agent("d".repeat(13)), agentWith([muteFor("agent", 50)]), { probeMs: 10 * MIN });
    expect(result.lines).toEqual(["0 service:agent:down opened muted", "6 service:agent:down reminder", "12 service:agent:down reminder"]);
  });

  it("a mute that ends during the reminder interval lets the next reminder through", () => {
    // Mute until 90 min: the 60 min reminder is swallowed (clock moves on), the 120 min one is sent.
    const result = runProbes(agent("d".repeat(13)), agentWith([muteFor("all", 90)]), { probeMs: 10 * MIN });
    expect(result.lines).toEqual(["0 service:agent:down opened muted", "12 service:agent:down reminder"]);
  });

  it("a mute ends exactly at its until time", () => {
    const result = runProbes(agent("uud"), agentWith([{ subject: "agent", until: new Date(T0 + 2 * PROBE_MS) }]));
    expect(result.lines).toEqual(["2 service:agent:down opened"]);
  });

  it("a mute set while an incident is open marks its resolution muted", () => {
    const result = runProbes(agent("dddu"), agentWith([]), { settingsAt: (i) => agentWith(i >= 2 ? [muteFor("all", 60)] : []) });
    expect(result.lines).toEqual(["0 service:agent:down opened", "3 service:agent:down resolved muted"]);
  });

  it("a muted flapping service records its flapping alert muted", () => {
    const result = runProbes(agent("ududu"), agentWith([muteFor("agent", 60)]));
    expect(result.lines).toContain("4 service:agent:flapping opened muted");
  });
});

describe("config changes and restarts", () => {
  it("a service removed from the config is forgotten without a word", () => {
    const both = settings({ sustain: 1, remindMs: 30 * MIN, services: [service("agent"), service("web")] });
    const webOnly = settings({ sustain: 1, remindMs: 30 * MIN, services: [service("web")] });
    const result = runProbes(agent("ddddd"), both, { probeMs: 30 * MIN, settingsAt: (i) => (i < 2 ? both : webOnly) });
    expect(result.lines.filter((l) => l.includes("agent"))).toEqual(["0 service:agent:down opened", "1 service:agent:down reminder"]);
    expect(Object.keys(result.state.conditions).some((k) => k.includes("agent"))).toBe(false);
  });

  it("a service added back starts from scratch", () => {
    const withAgent = settings({ sustain: 1, services: [service("agent")] });
    const without = settings({ sustain: 1, services: [] });
    const result = runProbes(agent("dddd"), withAgent, { settingsAt: (i) => (i === 1 ? without : withAgent) });
    expect(result.lines).toEqual(["0 service:agent:down opened", "2 service:agent:down opened"]);
  });

  it("a limit removed from a service is forgotten too", () => {
    const limited = settings({ sustain: 1, services: [service("agent", { cpu: 90 })] });
    const free = settings({ sustain: 1, services: [service("agent")] });
    const hot: Probe[] = Array.from({ length: 4 }, () => ({ services: { agent: { cpuPercent: 99 } } }));
    const result = runProbes(hot, limited, { settingsAt: (i) => (i < 2 ? limited : free) });
    expect(result.lines).toEqual(["0 service:agent:cpu opened"]);
    expect(result.state.conditions["service:agent:cpu"]).toBeUndefined();
  });

  const mixedSequence: Probe[] = Array.from({ length: 60 }, (_, i) => {
    const next = random(4242 + i);
    return {
      cpu: 85 + next() * 10,
      memory: 88 + next() * 4,
      disk: i > 30 ? 95 : 50,
      services: {
        // A long outage (for down reminders) among random blips.
        agent: (i >= 40 && i < 52) || next() < 0.35 ? "down" : { cpuPercent: 100 + next() * 60, memoryBytes: 4e8 + next() * 2e8 },
        web: next() < 0.15 ? "down" : "up",
      },
    };
  });
  const mixedRules = settings({
    sustain: 2,
    remindMs: 20 * MIN,
    flapping: { windowMs: 30 * MIN, changes: 4 },
    services: [service("agent", { cpu: 140, memory: { kind: "bytes", bytes: 5e8 } }), service("web")],
    mutes: [{ subject: "agent", until: new Date(T0 + 45 * MIN) }],
  });

  it.each(Array.from({ length: 59 }, (_, i) => ({ restartAt: i + 1 })))(
    "a restart after probe $restartAt (state through JSON) gives the same transitions",
    ({ restartAt }) => {
      const straight = runProbes(mixedSequence, mixedRules, { probeMs: 3 * MIN });
      const first = runProbes(mixedSequence.slice(0, restartAt), mixedRules, { probeMs: 3 * MIN });
      const reloaded = JSON.parse(JSON.stringify(first.state)) as MonitorState;
      const rest = mixedSequence.slice(restartAt);
      // Continue at the same times as the straight run.
      let state = restoreState(reloaded);
      const after: Transition[] = [];
      rest.forEach((probe, j) => {
        const now = new Date(T0 + (restartAt + j) * 3 * MIN);
        const result = evaluate(state, snapshotOf(probe, now), mixedRules, now);
        after.push(...result.transitions);
        state = result.state;
      });
      expect([...first.transitions.map(({ index: _, ...t }) => t), ...after]).toEqual(straight.transitions.map(({ index: _, ...t }) => t));
      expect(state).toEqual(straight.state);
    },
  );

  it("the mixed sequence exercises every kind of transition (so the restart rows mean something)", () => {
    const result = runProbes(mixedSequence, mixedRules, { probeMs: 3 * MIN });
    const kinds = new Set(result.transitions.map((t) => `${t.condition} ${t.change}`));
    for (const kind of ["down opened", "down resolved", "down reminder", "flapping opened", "cpu opened", "cpu resolved", "memory opened", "disk opened", "disk reminder"]) {
      expect(kinds).toContain(kind);
    }
    expect(result.transitions.some((t) => t.muted)).toBe(true);
    expect(result.transitions.some((t) => t.suppressed)).toBe(true);
  });

  it("the state is plain JSON, versioned, and equal after a round trip", () => {
    const { state } = runProbes(mixedSequence, mixedRules, { probeMs: 3 * MIN });
    expect(state.version).toBe(1);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(JSON.stringify(state)).not.toMatch(/undefined|null/);
  });

  it.each([
    { story: "nothing", value: undefined },
    { story: "a string", value: "oops" },
    { story: "a future version", value: { version: 2, conditions: {} } },
    { story: "conditions that are not an object", value: { version: 1, conditions: [] } },
  ])("restoring $story gives the empty state", ({ value }) => {
    expect(restoreState(value)).toEqual(emptyState());
  });

  it("restoring drops malformed conditions and keeps good ones", () => {
    const good = { status: "open", above: 2, below: 0, acknowledged: false, openedAt: "2026-01-05T08:00:00.000Z" };
    const restored = restoreState(
      JSON.parse(
        JSON.stringify({
          version: 1,
          conditions: { "host:cpu": good, "host:disk": { status: "weird" }, "service:x:down": { ...good, changes: ["a"] }, "not a key": good },
        }).replace('"not a key"', '"__proto__"'),
      ),
    );
    expect(restored.conditions).toEqual({ "host:cpu": good });
    expect(Object.getPrototypeOf(restored.conditions)).toBe(Object.prototype);
  });
});

describe("settings from the config", () => {
  const config = {
    host: { cpu: 80, memory: 85, disk: 95, sustain: 3 },
    services: [service("agent", { cpu: 50 })],
    alerts: { remindMs: 2 * 60 * MIN },
  } as unknown as GaiaConfig;

  it("takes host limits, services and the reminder interval, with the default flapping rule", () => {
    const mutes = [{ subject: "all", until: new Date(T0) }];
    expect(ruleSettingsFrom(config, mutes)).toEqual({
      host: { cpu: 80, memory: 85, disk: 95, sustain: 3 },
      services: config.services,
      remindMs: 2 * 60 * MIN,
      flapping: { windowMs: 10 * MIN, changes: 4 },
      mutes,
    });
    expect(ruleSettingsFrom(config).mutes).toEqual([]);
  });

  it("the settings it makes drive the rules", () => {
    const rules = ruleSettingsFrom(config);
    const result = runProbes(cpu([85, 85, 85]), rules);
    // Sustain 3 from the config, for the host and for the agent the probe did not find.
    expect(result.lines).toEqual(["2 host:cpu opened", "2 service:agent:down opened"]);
  });

  it("condition keys name the subject and the condition", () => {
    expect(conditionKey({ kind: "host", name: "host" }, "disk")).toBe("host:disk");
    expect(conditionKey({ kind: "service", name: "agent" }, "flapping")).toBe("service:agent:flapping");
  });
});

describe("purity", () => {
  it("the same inputs give the same outputs, and the inputs are untouched (they are frozen)", () => {
    const rules = settings({ sustain: 1, remindMs: MIN, services: [service("agent", { cpu: 10 })] });
    const state = deepFreeze(runProbes(agent("dd"), rules, { probeMs: MIN }).state);
    const now = new Date(T0 + 10 * MIN);
    const snapshot = snapshotOf({ cpu: 99, services: { agent: { cpuPercent: 50 } } }, now);
    const a = evaluate(state, snapshot, rules, now);
    const b = evaluate(state, snapshot, rules, now);
    expect(a).toEqual(b);
    expect(a.transitions.map((t) => `${t.key} ${t.change}`)).toEqual(["host:cpu opened", "service:agent:down resolved", "service:agent:cpu opened"]);
  });

  it("a service named __proto__ is just a name", () => {
    const rules = settings({ sustain: 1, services: [service("__proto__")] });
    const result = runProbes(agent("dud", "__proto__"), rules, { restartEveryProbe: true });
    expect(result.lines).toEqual(["0 service:__proto__:down opened", "1 service:__proto__:down resolved", "2 service:__proto__:down opened"]);
  });
});
