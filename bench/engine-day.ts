/**
 * Figures 1b and 6, from one simulated day of the real monitoring engine (see
 * engine-day-worker.ts): the growth of its resident memory over 3,600 probe cycles, and the
 * growth of gaia.db per day at 20 services with the default probe interval.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { EngineDayOptions, EngineDayReport } from "./engine-day-worker.js";

const WORKER = fileURLToPath(new URL("./engine-day-worker.js", import.meta.url));

export interface EngineDayResult {
  cycles: number;
  flapEveryCycles: number;
  wallSeconds: number;
  incidentsOpened: number;
  memory: {
    /** Growth is measured over the last GROWTH_CYCLES cycles of the day: from this cycle to the end. */
    fromCycle: number;
    cycles: number;
    rssBeforeBytes: number;
    rssAfterBytes: number;
    /** (after − before) / before. */
    growth: number;
    /** The same growth measured from early in the day, warm-up included. */
    earlyFromCycle: number;
    earlyGrowth: number;
    /** The most SQLite's page cache may hold; it fills as gaia.db grows. */
    sqliteCacheBytes: number;
    heapBeforeBytes: number;
    heapAfterBytes: number;
    rssByCycle: EngineDayReport["rssByCycle"];
  };
  database: {
    probeEveryMs: number;
    emptyBytes: number;
    afterDayBytes: number;
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
/** The figure: growth over 3,600 probe cycles. */
const GROWTH_CYCLES = 3600;
/**
 * Measured over the day's last 3,600 cycles: in the first ~2,000, RSS climbs quickly while V8
 * compiles and its heap settles. What still grows after that is mostly SQLite's page cache,
 * filling as gaia.db grows (bounded by PRAGMA cache_size); a leak would grow on top of it.
 */
const GROWTH_FROM = CYCLES_PER_DAY - GROWTH_CYCLES;
/** Where the warm-up-included figure starts (after the first few hundred cycles' JIT). */
const EARLY_FROM = 300;

/** Runs the worker and turns its report into the two figures. */
export async function measureEngineDay(input: { services: number; prefix: string; log: (line: string) => void }): Promise<EngineDayResult> {
  const options: EngineDayOptions = {
    services: input.services,
    prefix: input.prefix,
    cycles: CYCLES_PER_DAY,
    checkpoints: [EARLY_FROM, EARLY_FROM + GROWTH_CYCLES, GROWTH_FROM, CYCLES_PER_DAY],
    flapEveryCycles: 1000,
    downCycles: 8,
  };
  const worker = spawn(process.execPath, ["--expose-gc", WORKER, JSON.stringify(options)], { stdio: ["ignore", "pipe", "inherit"] });
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
  const before = at(GROWTH_FROM);
  const after = at(CYCLES_PER_DAY);
  const earlyBefore = at(EARLY_FROM);
  const earlyAfter = at(EARLY_FROM + GROWTH_CYCLES);
  const db = report.database;
  const bytesPerDay = db.afterDayBytes - db.emptyBytes;
  const { steadyStateBytes, perDayByTable } = steadyState(db);
  const kept = db.retention;
  const retentionNote =
    `the retention job (jobs/retention.ts) runs hourly through the day, as gaia schedules it, and once more a week later, when it removed ${kept.removed.samples ?? 0} sample rows ` +
    `and freed ${(kept.freedBytes / 1e6).toFixed(1)} MB inside the file for new rows (SQLite reuses freed pages before growing the file). ` +
    `So gaia.db settles at the steady state: each table's growth over the day kept ${SAMPLE_DAYS} days for samples and ${EVENT_DAYS} days for the rest (the retention defaults).`;
  input.log(`  RSS ${before.rssBytes} → ${after.rssBytes} bytes; gaia.db +${bytesPerDay} bytes`);
  return {
    cycles: report.cycles,
    flapEveryCycles: options.flapEveryCycles,
    wallSeconds: report.wallSeconds,
    incidentsOpened: report.incidentsOpened,
    memory: {
      fromCycle: GROWTH_FROM,
      cycles: GROWTH_CYCLES,
      rssBeforeBytes: before.rssBytes,
      rssAfterBytes: after.rssBytes,
      growth: (after.rssBytes - before.rssBytes) / before.rssBytes,
      earlyFromCycle: EARLY_FROM,
      earlyGrowth: (earlyAfter.rssBytes - earlyBefore.rssBytes) / earlyBefore.rssBytes,
      sqliteCacheBytes: report.sqliteCacheBytes,
      heapBeforeBytes: before.heapUsedBytes,
      heapAfterBytes: after.heapUsedBytes,
      rssByCycle: report.rssByCycle,
    },
    database: { probeEveryMs: report.probeEveryMs, emptyBytes: db.emptyBytes, afterDayBytes: db.afterDayBytes, bytesPerDay, steadyStateBytes, retentionNote, rows: db.rows, perDayByTable, retention: db.retention, incidentsByKind: report.incidentsByKind, delivered: report.delivered },
  };
}

/** Default retention (gaia.yml `retention`): samples 7 days, events 90 days. */
const SAMPLE_DAYS = 7;
const EVENT_DAYS = 90;

/**
 * What gaia.db settles at once retention runs: each table's growth over the day, kept for as many
 * days as its retention says (samples 7 days; audit events, resolved incidents and sent outbox
 * rows 90).
 */
function steadyState(db: EngineDayReport["database"]): { steadyStateBytes: number; perDayByTable: Record<string, number> } {
  const perDayByTable: Record<string, number> = {};
  let steadyStateBytes = db.emptyBytes;
  for (const [table, bytes] of Object.entries(db.tableBytes)) {
    const grown = Math.max(0, bytes - (db.emptyTableBytes[table] ?? 0));
    perDayByTable[table] = grown;
    steadyStateBytes += grown * (table === "samples" ? SAMPLE_DAYS : EVENT_DAYS);
  }
  return { steadyStateBytes, perDayByTable };
}
