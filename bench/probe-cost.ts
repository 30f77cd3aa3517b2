/**
 * Figure 2, probe cost: the CPU time of one probe cycle of the real probe (monitor/probe.ts) for
 * 1, 20, 100 and 500 watched processes, next to the floor of reading those processes'
 * /proc/<pid>/stat files raw, plus how many process-table scans, stat reads and child processes
 * each cycle takes, counted independently of the probe's own counters.
 *
 * The probe has two kinds of cycle: a fast one (only the watched processes' stat files, while they
 * all live) and a full scan (every process), which it takes when a service is down or a process was
 * replaced, and at least every FULL_SCAN_MAX_AGE_MS (MULTI_PROCESS_RESCAN_MS with multi-process
 * services). Both are measured, and their mix at the default probe.every.
 */
import childProcess from "node:child_process";
import fs, { readdirSync, readFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { FULL_SCAN_MAX_AGE_MS } from "../monitor/known-processes.js";
import { createProbe, type Probe } from "../monitor/probe.js";
import { median } from "./lib/numbers.js";
import { startWatchedProcesses } from "./lib/watched-processes.js";

/** The measurements at one size. */
export interface ProbeCostRow {
  watched: number;
  /** Processes in the whole table at the time (the probe reads them all). */
  tableSize: number;
  /** CPU time (user + system) of one steady-state probe cycle (a fast one), µs (median of batches). */
  probeCpuUs: number;
  /** Wall time of one steady-state probe cycle, µs. */
  probeWallUs: number;
  /** CPU time of a cycle with a full scan of the table (a service down, a process replaced, the periodic rescan), µs. */
  fullCycleCpuUs: number;
  /** Cycles per full scan at the default probe.every with these one-process services (FULL_SCAN_MAX_AGE_MS / 15 s). */
  cyclesPerFullScan: number;
  /** Mean CPU per cycle over that mix: (cyclesPerFullScan - 1) fast cycles and one full one, µs. */
  mixedCpuUs: number;
  /** CPU time of reading the watched processes' /proc/<pid>/stat raw, µs. */
  rawCpuUs: number;
  /** CPU time of a raw scan of the whole table (readdir /proc + every stat file), µs. */
  rawScanCpuUs: number;
  /** Steady-state probe CPU / raw CPU, the median of the batch-by-batch ratios. */
  ratio: number;
  /** Full-scan cycle CPU / raw CPU, likewise. */
  fullCycleRatio: number;
  /** Mixed CPU per cycle / raw CPU. */
  mixedRatio: number;
  /** Counted around the steady-state probe: readdir("/proc") calls, /proc/<pid>/stat opens and child processes, per cycle. */
  scansPerCycle: number;
  statReadsPerCycle: number;
  spawnsPerCycle: number;
  /** The probe's own counters, per cycle (they must agree with the counts above). */
  probeStats: { scans: number; fastCycles: number; spawns: number };
  /** Every watched process was seen as its service's one process. */
  allMatched: boolean;
}

const SIZES = [1, 20, 100, 500];

/** gaia's default probe.every, for the mix of fast and full cycles. */
const DEFAULT_PROBE_EVERY_MS = 15_000;

/** Measures every size; starts and stops its own watched processes. */
export async function measureProbeCost(prefix: string, log: (line: string) => void): Promise<ProbeCostRow[]> {
  const rows: ProbeCostRow[] = [];
  for (const watched of SIZES) {
    const processes = await startWatchedProcesses(watched, `${prefix}p${watched}`.slice(0, 10));
    try {
      const probe = createProbe({ homeDir: tmpdir(), services: processes.services(), selfPid: process.pid });
      // The same services, every cycle a full scan: what a cycle costs when the fast path may not be taken.
      const fullProbe = createProbe({ homeDir: tmpdir(), services: processes.services(), selfPid: process.pid, wholeTable: true });
      const pids = [...processes.pids.values()];
      const snapshot = await probe.sample(); // the first sample has no previous table: warm-up
      await fullProbe.sample();
      const allMatched = snapshot.services.every((s) => s.up && s.processCount === 1);
      const [probeCost, fullCost, rawCost, rawScanCost] = await timeInterleaved([
        () => probe.sample(),
        () => fullProbe.sample(),
        async () => readStatFiles(pids),
        async () => scanProcRaw(),
      ]);
      const counts = await countScansAndSpawns(probe, 10);
      const cyclesPerFullScan = FULL_SCAN_MAX_AGE_MS / DEFAULT_PROBE_EVERY_MS;
      const mixedPerBatch = probeCost.perBatchCpuUs.map((fast, batch) => ((cyclesPerFullScan - 1) * fast + fullCost.perBatchCpuUs[batch]) / cyclesPerFullScan);
      const row: ProbeCostRow = {
        watched,
        tableSize: countProcesses(),
        probeCpuUs: probeCost.cpuUs,
        probeWallUs: probeCost.wallUs,
        fullCycleCpuUs: fullCost.cpuUs,
        cyclesPerFullScan,
        mixedCpuUs: median(mixedPerBatch),
        rawCpuUs: rawCost.cpuUs,
        rawScanCpuUs: rawScanCost.cpuUs,
        ratio: median(probeCost.perBatchCpuUs.map((cpu, batch) => cpu / rawCost.perBatchCpuUs[batch])),
        fullCycleRatio: median(fullCost.perBatchCpuUs.map((cpu, batch) => cpu / rawCost.perBatchCpuUs[batch])),
        mixedRatio: median(mixedPerBatch.map((cpu, batch) => cpu / rawCost.perBatchCpuUs[batch])),
        ...counts,
        allMatched,
      };
      log(
        `  ${watched} watched: fast cycle ${row.probeCpuUs.toFixed(0)} µs CPU (${row.ratio.toFixed(2)}×), full-scan cycle ${row.fullCycleCpuUs.toFixed(0)} µs (${row.fullCycleRatio.toFixed(2)}×), ` +
          `mixed 1 in ${cyclesPerFullScan} ${row.mixedCpuUs.toFixed(0)} µs (${row.mixedRatio.toFixed(2)}×), raw ${row.rawCpuUs.toFixed(0)} µs; per steady cycle ${row.scansPerCycle} scan(s), ${row.statReadsPerCycle} stat reads, ${row.spawnsPerCycle} spawn(s)`,
      );
      rows.push(row);
    } finally {
      await processes.stop();
    }
  }
  return rows;
}

/** Wall time of each batch: long enough for the kernel's CPU accounting to be precise. */
const BATCH_MS = 150;
const BATCHES = 7;

interface BatchCost {
  /** Median per-call CPU and wall time over the batches, µs. */
  cpuUs: number;
  wallUs: number;
  /** Per-call CPU time of each batch, µs, in batch order. */
  perBatchCpuUs: number[];
}

/**
 * Times several kinds of work in batches of ~BATCH_MS each (sized from a short warm-up),
 * interleaved: batch 1 of each, then batch 2 of each... so that a noisy moment of the machine
 * weighs on all of them alike, and a ratio taken batch by batch compares like with like.
 */
async function timeInterleaved(works: (() => Promise<unknown>)[]): Promise<BatchCost[]> {
  const calls: number[] = [];
  for (const work of works) {
    const warmUpStart = performance.now();
    for (let i = 0; i < 5; i++) await work();
    const perCallMs = (performance.now() - warmUpStart) / 5;
    calls.push(Math.min(5000, Math.max(10, Math.ceil(BATCH_MS / perCallMs))));
  }
  const cpu: number[][] = works.map(() => []);
  const wall: number[][] = works.map(() => []);
  for (let b = 0; b < BATCHES; b++) {
    for (const [w, work] of works.entries()) {
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      for (let i = 0; i < calls[w]; i++) await work();
      const used = process.cpuUsage(cpuBefore);
      wall[w].push(((performance.now() - wallBefore) * 1000) / calls[w]);
      cpu[w].push((used.user + used.system) / calls[w]);
    }
  }
  return works.map((_, w) => ({ cpuUs: median(cpu[w]), wallUs: median(wall[w]), perBatchCpuUs: cpu[w] }));
}

/** The raw floor: one read of each watched process's stat file, nothing parsed. */
function readStatFiles(pids: number[]): void {
  for (const pid of pids) readFileSync(`/proc/${pid}/stat`, "latin1");
}

/** The raw floor of any name-based matcher: list /proc and read every process's stat file. */
function scanProcRaw(): void {
  for (const entry of readdirSync("/proc")) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    try {
      readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      // exited since the readdir
    }
  }
}

function countProcesses(): number {
  return readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).length;
}

/**
 * Counts, around `cycles` probe cycles, every listing of /proc (a process-table scan) and every
 * child process started, by wrapping the functions of node:fs and node:child_process that the
 * probe (or a library such as pidusage or find-process) would have to call. ESM imports of
 * built-ins are live bindings, refreshed by syncBuiltinESMExports(), so the wrappers see them all.
 */
export async function countScansAndSpawns(
  probe: Probe,
  cycles: number,
): Promise<Pick<ProbeCostRow, "scansPerCycle" | "statReadsPerCycle" | "spawnsPerCycle" | "probeStats">> {
  const before = { ...probe.stats };
  const counts = await countDuring(async () => {
    for (let i = 0; i < cycles; i++) await probe.sample();
  });
  return {
    scansPerCycle: counts.scans / cycles,
    statReadsPerCycle: counts.statReads / cycles,
    spawnsPerCycle: counts.spawns / cycles,
    probeStats: {
      scans: (probe.stats.scans - before.scans) / cycles,
      fastCycles: (probe.stats.fastCycles - before.fastCycles) / cycles,
      spawns: (probe.stats.spawns - before.spawns) / cycles,
    },
  };
}

/**
 * Counts, while `work` runs (and whatever it left running in the background meanwhile), every
 * listing of /proc, every /proc/<pid>/stat read and every child process started.
 */
export async function countDuring(work: () => Promise<void>): Promise<{ scans: number; statReads: number; spawns: number }> {
  type Functions = Record<string, (...args: unknown[]) => unknown>;
  let scans = 0;
  let statReads = 0;
  let spawns = 0;
  const countScan = (args: unknown[]) => {
    if (String(args[0]).replace(/\/+$/, "") === "/proc") scans++;
  };
  const countStatRead = (args: unknown[]) => {
    if (/^\/proc\/\d+\/stat$/.test(String(args[0]))) statReads++;
  };
  const countSpawn = () => spawns++;
  const wrapped: { target: Functions; name: string; original: (...args: unknown[]) => unknown }[] = [];
  const wrap = (target: Functions, name: string, count: (args: unknown[]) => void) => {
    const original = target[name];
    wrapped.push({ target, name, original });
    target[name] = function (this: unknown, ...args: unknown[]) {
      count(args);
      return original.apply(this, args);
    };
  };
  for (const name of ["readdirSync", "readdir", "opendirSync", "opendir"]) wrap(fs as unknown as Functions, name, countScan);
  for (const name of ["readdir", "opendir"]) wrap(fs.promises as unknown as Functions, name, countScan);
  for (const name of ["openSync", "readFileSync", "open", "readFile"]) wrap(fs as unknown as Functions, name, countStatRead);
  for (const name of ["open", "readFile"]) wrap(fs.promises as unknown as Functions, name, countStatRead);
  for (const name of ["spawnSync", "execSync", "execFileSync"]) wrap(childProcess as unknown as Functions, name, countSpawn);
  // Every asynchronous spawn (spawn, exec, execFile, fork) goes through this method.
  wrap(childProcess.ChildProcess.prototype as unknown as Functions, "spawn", countSpawn);
  syncBuiltinESMExports();
  try {
    await work();
  } finally {
    for (const { target, name, original } of wrapped) target[name] = original;
    syncBuiltinESMExports();
  }
  return { scans, statReads, spawns };
}
