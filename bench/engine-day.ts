/**
 * Figures 1b and 6, from one simulated week of the real monitoring engine (see
 * engine-day-worker.ts): the growth of its resident memory over the week after a stated warm-up,
 * and the growth of gaia.db per day at 20 services with the default probe interval.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { EngineDayOptions, EngineDayReport } from "./engine-day-worker.js";
import type { MemoryBreakdown } from "./lib/memory-breakdown.js";
import { SHIPPED_NODE_FLAGS } from "./lib/shipped-node-flags.js";

const WORKER = fileURLToPath(new URL("./engine-day-worker.js", import.meta.url));

/** Growth over one window: from the end of a warm-up to the end of the week. */
export interface GrowthWindow {
  /** The warm-up before the window, in words ("1 hour") and in probe cycles. */
  warmUp: string;
  fromCycle: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** (after − before) / before. */
  growth: number;
  /** How the RSS of each end divides between the parts of memory (see MemoryParts). */
  partsBefore: MemoryParts;
  partsAfter: MemoryParts;
}

/**
 * RSS divided by owner, from a checkpoint's MemoryBreakdown; the parts add up to the RSS.
 * `mallocMain` holds SQLite's page cache and compiled statements (better-sqlite3 runs them on the
 * main thread); `mallocThreads` is what V8's and libuv's worker threads allocate (optimizing
 * compiler zones, directory listings); `rest` is the other anonymous memory (large allocations
 * mapped on their own, thread stacks, V8 pages freed but not yet given back).
 */
export interface MemoryParts {
  /** Resident pages of mapped files: node's binary, shared libraries, better-sqlite3's addon. */
  files: number;
  /** V8's heap, resident: all its spaces. */
  v8Heap: number;
  /** Of which V8's compiled code (code_space). */
  v8Code: number;
  mallocMain: number;
  mallocThreads: number;
  rest: number;
}

function partsOf(point: MemoryBreakdown): MemoryParts {
  const v8Heap = Object.values(point.v8SpacesBytes).reduce((a, b) => a + b, 0);
  const files = point.rssFileBytes + point.rssShmemBytes;
  const { mallocMainArena: mallocMain, mallocThreadArenas: mallocThreads } = point.anonymous;
  return { files, v8Heap, v8Code: point.v8SpacesBytes.code_space ?? 0, mallocMain, mallocThreads, rest: point.rssBytes - files - v8Heap - mallocMain - mallocThreads };
}

export interface EngineDayResult {
  cycles: number;
  days: number;
  flapEveryCycles: number;
  wallSeconds: number;
  incidentsOpened: number;
  memory: {
    /** The growth from each window start to the end of the week, shortest warm-up first. */
    windows: GrowthWindow[];
    /** The window with the largest growth: the verdict's. */
    stricter: GrowthWindow;
    /** The most SQLite's page cache may hold; it fills as gaia.db grows. */
    sqliteCacheBytes: number;
    /** Statements SQLite compiled over the week (TypeORM keeps up to 100 compiled). */
    statementsPrepared: number;
    heapBeforeBytes: number;
    heapAfterBytes: number;
    rssByCycle: EngineDayReport["rssByCycle"];
  };
  database: {
    probeEveryMs: number;
    emptyBytes: number;
    afterRunBytes: number;
    bytesPerDay: number;
    /** What gaia.db settles at once retention deletes old rows (see retentionNote). */
    steadyStateBytes: number;
    retentionNote: string;
    rows: Record<string, number>;
    /** Bytes each table (with its indexes) grew by over the day. */
    perDayByTable: Record<string, number>;
    retention: EngineDayReport["database"]["retention"];
    incidentsByKind: Record<string, number>;
    delivered: EngineDayReport["delivered"];
  };
}

/** One day of probes at gaia's default probe.every (15 s). */
const CYCLES_PER_DAY = 5760;
/** A week: a leak of a few bytes a cycle shows over it, where one day hides it in the warm-up. */
const DAYS = 7;
const CYCLES = DAYS * CYCLES_PER_DAY;
/**
 * Growth depends on where its window starts: early on, RSS climbs while V8 compiles and its heap
 * and SQLite's page cache fill. So it is measured from two starts, after an hour and after a day,
 * to the end of the week, and the verdict takes the larger.
 */
const WARM_UPS = [
  { warmUp: "1 hour", cycles: CYCLES_PER_DAY / 24 },
  { warmUp: "1 day", cycles: CYCLES_PER_DAY },
];

/** Runs the worker and turns its report into the two figures. */
export async function measureEngineDay(input: { services: number; prefix: string; log: (line: string) => void }): Promise<EngineDayResult> {
  const options: EngineDayOptions = {
    services: input.services,
    prefix: input.prefix,
    cycles: CYCLES,
    // Every simulated 6 hours, for the trend in results.json, and the window starts.
    checkpoints: [...WARM_UPS.map((w) => w.cycles), ...Array.from({ length: DAYS * 4 }, (_, i) => ((i + 1) * CYCLES_PER_DAY) / 4)],
    flapEveryCycles: 1000,
    downCycles: 8,
  };
  const worker = spawn(process.execPath, [...SHIPPED_NODE_FLAGS, "--expose-gc", WORKER, JSON.stringify(options)], { stdio: ["ignore", "pipe", "inherit"] });
  const stopWorker = () => worker.kill("SIGTERM");
  process.on("exit", stopWorker);
  let stdout = "";
  worker.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(worker, "exit")) as [number | null];
  process.off("exit", stopWorker);
  if (code !== 0) throw new Error(`the engine worker exited with ${code}:\n${stdout}`);
  const report = JSON.parse(stdout.trim().split("\n").pop()!) as EngineDayReport;
  input.log(`  ${report.cycles} cycles in ${report.wallSeconds.toFixed(1)} s`);

  const at = (cycle: number) => {
    const point = report.rssByCycle.find((p) => p.cycle === cycle);
    if (!point) throw new Error(`no memory checkpoint at cycle ${cycle}`);
    return point;
  };
  const after = at(CYCLES);
  const windows: GrowthWindow[] = WARM_UPS.map(({ warmUp, cycles }) => {
    const before = at(cycles);
    return { warmUp, fromCycle: cycles, rssBeforeBytes: before.rssBytes, rssAfterBytes: after.rssBytes, growth: (after.rssBytes - before.rssBytes) / before.rssBytes, partsBefore: partsOf(before), partsAfter: partsOf(after) };
  });
  const stricter = windows.reduce((a, b) => (b.growth > a.growth ? b : a));
  const db = report.database;
  const bytesPerDay = (db.afterRunBytes - db.emptyBytes) / DAYS;
  const { steadyStateBytes, perDayByTable } = steadyState(db, DAYS);
  const kept = db.retention;
  const retentionNote =
    `the retention job (jobs/retention.ts) runs hourly through the week, as gaia schedules it, and once more a week after its end, when it removed ${kept.removed.samples ?? 0} sample rows ` +
    `and freed ${(kept.freedBytes / 1e6).toFixed(1)} MB inside the file for new rows (SQLite reuses freed pages before growing the file). ` +
    `So gaia.db settles at the steady state: each table's growth per day (the week's / ${DAYS}) kept ${SAMPLE_DAYS} days for samples and ${EVENT_DAYS} days for the rest (the retention defaults).`;
  input.log(`  RSS growth ${windows.map((w) => `after ${w.warmUp}: ${(w.growth * 100).toFixed(1)}%`).join(", ")}; gaia.db +${Math.round(bytesPerDay)} bytes a day`);
  return {
    cycles: report.cycles,
    days: DAYS,
    flapEveryCycles: options.flapEveryCycles,
    wallSeconds: report.wallSeconds,
    incidentsOpened: report.incidentsOpened,
    memory: {
      windows,
      stricter,
      sqliteCacheBytes: report.sqliteCacheBytes,
      statementsPrepared: after.sqlite.statementsPrepared,
      heapBeforeBytes: at(stricter.fromCycle).heapUsedBytes,
      heapAfterBytes: after.heapUsedBytes,
      rssByCycle: report.rssByCycle,
    },
    database: { probeEveryMs: report.probeEveryMs, emptyBytes: db.emptyBytes, afterRunBytes: db.afterRunBytes, bytesPerDay, steadyStateBytes, retentionNote, rows: db.rows, perDayByTable, retention: db.retention, incidentsByKind: report.incidentsByKind, delivered: report.delivered },
  };
}

/** Default retention (gaia.yml `retention`): samples 7 days, events 90 days. */
const SAMPLE_DAYS = 7;
const EVENT_DAYS = 90;

/**
 * What gaia.db settles at once retention runs: each table's growth per day over the `days`
 * simulated, kept for as many days as its retention says (samples 7 days; audit events, resolved
 * incidents and sent outbox rows 90).
 */
function steadyState(db: EngineDayReport["database"], days: number): { steadyStateBytes: number; perDayByTable: Record<string, number> } {
  const perDayByTable: Record<string, number> = {};
  let steadyStateBytes = db.emptyBytes;
  for (const [table, bytes] of Object.entries(db.tableBytes)) {
    const grown = Math.max(0, bytes - (db.emptyTableBytes[table] ?? 0)) / days;
    perDayByTable[table] = grown;
    steadyStateBytes += grown * (table === "samples" ? SAMPLE_DAYS : EVENT_DAYS);
  }
  return { steadyStateBytes, perDayByTable };
}
