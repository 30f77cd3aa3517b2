/**
 * Figure 2b, the probe's cost with endpoint and container checks: the real probe
 * (monitor/probe.ts) watching 20 HTTP endpoints (real node:http servers on loopback) or 20
 * containers (the tests' fake Docker Engine API on a unix socket), both served by a child process
 * (bench/check-servers.ts) so that the CPU counted here is the probe's own.
 *
 * The checks run in the background, so their cost is not inside `sample()`: a cycle's cost is the
 * benchmark process's CPU over a window of cycles at a fixed period, divided by the cycles, with
 * the checks running every period as they do under `gaia start`. Each answer comes after
 * ANSWER_DELAY_MS, so a cycle that waited for a check would take at least that long.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ServiceConfig } from "../config/types.js";
import { createProbe, type CheckingProbe } from "../monitor/probe.js";
import { median, sleep } from "./lib/numbers.js";
import { countDuring } from "./probe-cost.js";

const SERVERS = fileURLToPath(new URL("./check-servers.js", import.meta.url));

/** Endpoints and containers watched. */
export const CHECKED = 20;
/** Every answer of the servers and of the fake Docker waits this long. */
export const ANSWER_DELAY_MS = 100;
/** The probe period of the measurement (probe.every; the checks run as often). */
export const CHECK_PERIOD_MS = 250;
/** Cycles in one measured window, and windows per kind (alternating with the baselines). */
export const WINDOW_CYCLES = 16;
export const ROUNDS = 3;

/** The measurements of one kind of check. */
export interface CheckCostRow {
  kind: "http" | "container";
  checked: number;
  periodMs: number;
  answerDelayMs: number;
  /** CPU (user + system) of the whole process per cycle with the checks: the probe's sample plus the checks that ran in the background, µs (median of the windows). */
  cpuPerCycleUs: number;
  /** The same probe without these services (host figures only), measured the same way, µs. */
  probeOnlyCpuUs: number;
  /** What the checks add per cycle: cpuPerCycleUs - probeOnlyCpuUs, µs. */
  checksCpuUs: number;
  /** The floor of the checks: the same requests with node:http and nothing else (20 GETs; or 20 inspect + stats pairs), per cycle, µs. */
  rawCpuUs: number;
  /** Wall time of `sample()` with the checks: median and slowest, ms. */
  sampleWallMedianMs: number;
  sampleWallMaxMs: number;
  /** Check runs started per cycle (one per service when none is held up). */
  runsPerCycle: number;
  /** Child processes and /proc listings per cycle, counted around a window of cycles and the checks within it. */
  spawnsPerCycle: number;
  /** Every service read up at the end. */
  allUp: boolean;
}

/** Measures both kinds; starts and stops its own servers. */
export async function measureCheckCost(log: (line: string) => void): Promise<CheckCostRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gaia-bench-checks-"));
  const child = spawn(process.execPath, [SERVERS, String(CHECKED), String(ANSWER_DELAY_MS), join(dir, "docker.sock")], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
    const served = JSON.parse(line) as { ports: number[]; socket: string; containers: string[] };
    const http: ServiceConfig[] = served.ports.map((port, i) => ({ name: `web-${i + 1}`, match: { kind: "http", http: `http://127.0.0.1:${port}/health`, contains: "status: ok", timeoutMs: 5000 } }));
    const containers: ServiceConfig[] = served.containers.map((container) => ({ name: container, match: { kind: "container", container } }));
    const rows: CheckCostRow[] = [];
    rows.push(await measureKind("http", http, () => rawHttpCycle(served.ports)));
    rows.push(await measureKind("container", containers, () => rawDockerCycle(served.socket, served.containers), served.socket));
    for (const row of rows) {
      log(
        `  ${row.checked} ${row.kind === "http" ? "HTTP endpoints" : "containers"}: ${(row.cpuPerCycleUs / 1000).toFixed(2)} ms CPU a cycle (probe ${(row.probeOnlyCpuUs / 1000).toFixed(2)} + checks ${(row.checksCpuUs / 1000).toFixed(2)}), raw requests ${(row.rawCpuUs / 1000).toFixed(2)} ms; ` +
          `sample() ${row.sampleWallMedianMs.toFixed(1)} ms median, ${row.sampleWallMaxMs.toFixed(1)} ms slowest (answers take ${row.answerDelayMs} ms); ${row.runsPerCycle.toFixed(1)} runs, ${row.spawnsPerCycle} spawns a cycle`,
      );
    }
    return rows;
  } finally {
    child.stdin!.end();
    await Promise.race([once(child, "exit"), sleep(5000)]);
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureKind(kind: CheckCostRow["kind"], services: ServiceConfig[], rawCycle: () => void, dockerSocket?: string): Promise<CheckCostRow> {
  const probeOf = (watched: ServiceConfig[]): CheckingProbe =>
    createProbe({ homeDir: tmpdir(), services: watched, selfPid: process.pid, checkEveryMs: CHECK_PERIOD_MS, ...(dockerSocket ? { dockerSocket } : {}) });
  const bare = probeOf([]);
  const withChecks: number[] = [];
  const probeOnly: number[] = [];
  const raw: number[] = [];
  const walls: number[] = [];
  let runs = 0;
  // A probe with checks of its own each round: its checks keep their schedule until it is closed,
  // and their CPU must not fall into the baselines' windows.
  const checkedProbe = async <T>(use: (probe: CheckingProbe) => Promise<T>): Promise<T> => {
    const probe = probeOf(services);
    try {
      // Warm-up, not counted: the first answers (and the Docker client's import).
      await cycles(WINDOW_CYCLES / 2, () => void probe.sample());
      return await use(probe);
    } finally {
      probe.close();
      await sleep(2 * ANSWER_DELAY_MS + 50); // the runs in flight end
    }
  };
  await cycles(WINDOW_CYCLES / 2, () => void bare.sample());
  for (let round = 0; round < ROUNDS; round++) {
    await checkedProbe(async (probe) => {
      const runsBefore = probe.checkStats.runs;
      withChecks.push(
        await cpuPerCycle(() => {
          const started = performance.now();
          void probe.sample().then(() => walls.push(performance.now() - started));
        }),
      );
      runs += probe.checkStats.runs - runsBefore;
    });
    probeOnly.push(await cpuPerCycle(() => void bare.sample()));
    raw.push(await cpuPerCycle(rawCycle));
  }
  const { counted, allUp } = await checkedProbe(async (probe) => {
    const counted = await countDuring(() => cycles(WINDOW_CYCLES, () => void probe.sample()));
    const last = await probe.sample();
    return { counted, allUp: last.services.every((s) => s.up) };
  });
  const cpuPerCycleUs = median(withChecks);
  const probeOnlyCpuUs = median(probeOnly);
  return {
    kind,
    checked: services.length,
    periodMs: CHECK_PERIOD_MS,
    answerDelayMs: ANSWER_DELAY_MS,
    cpuPerCycleUs,
    probeOnlyCpuUs,
    checksCpuUs: cpuPerCycleUs - probeOnlyCpuUs,
    rawCpuUs: median(raw),
    sampleWallMedianMs: median(walls),
    sampleWallMaxMs: Math.max(...walls),
    runsPerCycle: runs / (ROUNDS * WINDOW_CYCLES),
    spawnsPerCycle: counted.spawns / WINDOW_CYCLES,
    allUp,
  };
}

/** Runs `cycle` every CHECK_PERIOD_MS, `count` times, then lets the last period pass. */
async function cycles(count: number, cycle: () => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * CHECK_PERIOD_MS;
    await sleep(Math.max(0, due - performance.now()));
    cycle();
  }
  await sleep(Math.max(0, start + count * CHECK_PERIOD_MS - performance.now()));
}

/** The process's CPU over a window of WINDOW_CYCLES cycles, per cycle, µs. */
async function cpuPerCycle(cycle: () => void): Promise<number> {
  const before = process.cpuUsage();
  await cycles(WINDOW_CYCLES, cycle);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / WINDOW_CYCLES;
}

/** The floor of 20 endpoint checks: one GET each with node:http (a new connection, as the check makes), body read. */
function rawHttpCycle(ports: number[]): void {
  for (const port of ports) {
    const req = request({ host: "127.0.0.1", port, path: "/health", agent: false, headers: { connection: "close" } }, (res) => {
      res.resume();
    });
    req.on("error", () => undefined);
    req.end();
  }
}

/** The floor of 20 container checks: inspect, then stats, each a request on the unix socket, JSON parsed. */
function rawDockerCycle(socket: string, containers: string[]): void {
  const get = (path: string, then: () => void) => {
    const req = request({ socketPath: socket, path, headers: { host: "docker" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        JSON.parse(Buffer.concat(chunks).toString("utf8"));
        then();
      });
    });
    req.on("error", () => undefined);
    req.end();
  };
  for (const name of containers) get(`/containers/${name}/json`, () => get(`/containers/${name}/stats?stream=false&one-shot=true`, () => undefined));
}
