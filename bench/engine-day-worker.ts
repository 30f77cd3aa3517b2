/**
 * The worker of bench/engine-day.ts, run as its own process so that its memory is the engine's
 * alone: `node --expose-gc dist-bench/bench/engine-day-worker.js '<options as JSON>'`. Prints one JSON
 * line with the results on stdout.
 *
 * It builds the monitoring feature from the real parts, as cli/wiring/monitoring.ts does (probe,
 * rules, incident recorder, outbox, audit trail, state store, sample recorder, mutes, outbox
 * delivery with the real renderer, heartbeat, retention), on a fresh gaia.db with the settings
 * that gaia.yml's defaults give, and runs one probe cycle after the other with a clock that
 * advances by probe.every per cycle: a week of probing in a few minutes. Jobs run at their
 * real periods of that clock: delivery after every cycle (gaia: every second and at once when a
 * row is queued), the heartbeat every minute, retention every hour. Only Telegram is left out:
 * the sender renders each message and accepts it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { MuteList } from "../alerts/mute-list.js";
import { Outbox } from "../alerts/outbox.js";
import { loadConfig } from "../config/load-config.js";
import { AuditTrail } from "../entities/audit-trail.js";
import { openDatabase } from "../entities/data-source.js";
import { StateStore } from "../entities/state-store.js";
import { IncidentRecorder } from "../incidents/incident-recorder.js";
import { LatestSnapshot } from "../monitor/latest-snapshot.js";
import { OutboxDelivery } from "../alerts/deliver-outbox.js";
import { renderDelivery } from "../bot/render/alert.js";
import { heartbeatJob } from "../jobs/heartbeat.js";
import { applyRetention } from "../jobs/retention.js";
import { MonitorEngine } from "../incidents/monitor-engine.js";
import { createProbe, type Probe } from "../monitor/probe.js";
import { SampleRecorder } from "../queries/sample-recorder.js";
import { startWatchedProcesses } from "./lib/watched-processes.js";
import { cpuSecondsOf } from "./lib/proc-stats.js";
import { memoryBreakdown, type MemoryBreakdown } from "./lib/memory-breakdown.js";
import pino from "pino";

/** What the orchestrator asks for. */
export interface EngineDayOptions {
  services: number;
  prefix: string;
  /** Cycles simulated (default: one day, 86,400 s / probe.every). */
  cycles?: number;
  /** Cycles after which RSS is read (after a forced GC), besides one every 1/12 of the day. */
  checkpoints: number[];
  /** gaia.yml settings on top of the services (none: gaia's defaults), for experiments. */
  settings?: Record<string, unknown>;
  /** Every this many cycles, the last service is killed, and restarted `downCycles` later. */
  flapEveryCycles: number;
  downCycles: number;
}

/** SQLite's state at a checkpoint, beside the memory figures. */
export interface SqliteFigures {
  /** Statements TypeORM's runner keeps prepared (its cache, statementCacheSize). */
  statementsCached: number;
  /** Statements compiled since the engine started (after the migrations). */
  statementsPrepared: number;
  /** gaia.db-wal's size on disk. */
  walBytes: number;
}

/** What the worker reports. */
export interface EngineDayReport {
  probeEveryMs: number;
  cycles: number;
  wallSeconds: number;
  /** RSS after a forced GC, by cycle. */
  rssByCycle: ({ cycle: number; sqlite: SqliteFigures } & MemoryBreakdown)[];
  incidentsOpened: number;
  /** Incidents by subject kind and condition, e.g. `service:down`. */
  incidentsByKind: Record<string, number>;
  /** The most SQLite's page cache may hold (PRAGMA cache_size of gaia's connection). */
  sqliteCacheBytes: number;
  /** What delivery handed to the (accepting) sender over the day. */
  delivered: { messages: number; characters: number };
  database: {
    /** gaia.db (+ WAL after a checkpoint) right after the migrations. */
    emptyBytes: number;
    afterRunBytes: number;
    rows: Record<string, number>;
    /** Bytes of each table with its indexes, from SQLite's dbstat: empty, and after the day. */
    emptyTableBytes: Record<string, number>;
    tableBytes: Record<string, number>;
    /**
     * The retention job run 7 days after the day: rows it removed, the bytes it freed inside the
     * file for reuse (SQLite does not shrink the file; new rows fill the freed pages first), and
     * the file's size then.
     */
    retention: { removed: Record<string, number>; freedBytes: number; fileBytes: number };
  };
}

const gc = globalThis.gc;
if (typeof gc !== "function") throw new Error("run with node --expose-gc");

// Exit through process.exit, so that the watched processes' "exit" handler kills them.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const options = JSON.parse(process.argv[2] ?? "{}") as EngineDayOptions;
const home = mkdtempSync(join(tmpdir(), "gaia-bench-engine-"));
const watched = await startWatchedProcesses(options.services, options.prefix);
try {
  // gaia.yml with the services: every other setting is gaia's default (probe.every, sustain, retention).
  const yaml = { telegram: { admins: [424242] }, ...options.settings, services: watched.names.map((name) => ({ name, match: { process: name } })) };
  writeFileSync(join(home, "gaia.yml"), stringify(yaml));
  const config = loadConfig({ processEnv: { GAIA_HOME: home }, cwd: home });
  const settings = config.settings;
  const probeEveryMs = settings.probe.everyMs;
  const cycles = options.cycles ?? Math.round(86_400_000 / probeEveryMs);

  let clock = Date.now();
  const now = () => new Date(clock);
  const { dataSource } = await openDatabase(config.paths.database);
  // What SQLite holds besides its page cache: the statements TypeORM keeps prepared, and how many
  // it has compiled in all (each a program in native memory while it lives; a statement compiled
  // anew for every write churned the C allocator's heap until numbers were bound as parameters).
  const driver = dataSource.driver as unknown as { databaseConnection: { prepare(sql: string): unknown }; queryRunner?: { stmtCache?: Map<string, unknown> } };
  const connection = driver.databaseConnection;
  const prepare = connection.prepare.bind(connection);
  let prepared = 0;
  connection.prepare = (sql: string) => {
    prepared++;
    return prepare(sql);
  };
  const sqliteFigures = (): SqliteFigures => {
    let walBytes = 0;
    try {
      walBytes = statSync(`${config.paths.database}-wal`).size;
    } catch {
      // no WAL file
    }
    return { statementsCached: driver.queryRunner?.stmtCache?.size ?? 0, statementsPrepared: prepared, walBytes };
  };
  const databaseBytes = async () => {
    await dataSource.query("PRAGMA wal_checkpoint(TRUNCATE)");
    const size = (path: string) => {
      try {
        return statSync(path).size;
      } catch {
        return 0;
      }
    };
    return size(config.paths.database) + size(`${config.paths.database}-wal`);
  };
  const tableBytesNow = async () => {
    const pages = (await dataSource.query(
      `SELECT coalesce(m.tbl_name, d.name) AS owner, sum(d.pgsize) AS bytes FROM dbstat d LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY owner`,
    )) as { owner: string; bytes: number }[];
    return Object.fromEntries(pages.map(({ owner, bytes }) => [owner, bytes]));
  };
  // SQLite's page cache grows with gaia.db up to this size: part of the RSS growth to expect.
  const [{ cache_size: cacheSize }] = (await dataSource.query("PRAGMA cache_size")) as { cache_size: number }[];
  const [{ page_size: pageSize }] = (await dataSource.query("PRAGMA page_size")) as { page_size: number }[];
  const sqliteCacheBytes = cacheSize < 0 ? -cacheSize * 1024 : cacheSize * pageSize;
  const emptyBytes = await databaseBytes();
  const emptyTableBytes = await tableBytesNow();

  const logger = pino({ level: "silent" });
  const audit = new AuditTrail(dataSource, now);
  const state = new StateStore(dataSource, now);
  const outbox = new Outbox(dataSource, settings.telegram.chat, now);
  const engine = new MonitorEngine({
    settings,
    probe: withoutOwnCpu(createProbe({ homeDir: home, services: settings.services, selfPid: process.pid, now: () => clock })),
    recorder: new IncidentRecorder({ dataSource, audit, outbox, state, services: settings.services }),
    latest: new LatestSnapshot(),
    mutes: new MuteList(dataSource, audit, now),
    state,
    dataSource,
    audit,
    samples: new SampleRecorder({ dataSource, probeEveryMs }),
    logger,
    now,
  });
  await engine.start();
  let messagesSent = 0;
  let charactersSent = 0;
  const delivery = new OutboxDelivery({
    dataSource,
    audit,
    send: async (message) => {
      charactersSent += renderDelivery(message, now()).text.length;
      return { messageId: ++messagesSent };
    },
    logger,
    now,
  });
  const heartbeat = heartbeatJob({ state, logger, now });
  const retention = () => applyRetention({ dataSource, ...settings.retention, logger, now });
  const cyclesPerMinute = Math.max(1, Math.round(60_000 / probeEveryMs));
  const cyclesPerHour = Math.max(1, Math.round(3_600_000 / probeEveryMs));
  await heartbeat();
  await retention();

  const flapping = watched.names[watched.names.length - 1];
  const checkpoints = new Set(options.checkpoints);
  for (let c = 1; c <= cycles; c += Math.round(cycles / 12)) checkpoints.add(c);
  checkpoints.add(cycles);
  const rssByCycle: EngineDayReport["rssByCycle"] = [];
  let incidentsOpened = 0;
  const started = performance.now();
  for (let cycle = 1; cycle <= cycles; cycle++) {
    if (cycle % options.flapEveryCycles === 0) await watched.kill(flapping);
    if (cycle > options.flapEveryCycles && cycle % options.flapEveryCycles === options.downCycles) await watched.restart(flapping);
    const result = await engine.runCycle();
    incidentsOpened += result.recorded.opened;
    await delivery.run();
    if (cycle % cyclesPerMinute === 0) await heartbeat();
    if (cycle % cyclesPerHour === 0) await retention();
    if (cycle % 5760 === 0) process.stderr.write(`    simulated ${(cycle * probeEveryMs / 3_600_000).toFixed(0)} h: cycle ${cycle}/${cycles}, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    if (checkpoints.has(cycle)) {
      settleHeap();
      rssByCycle.push({ cycle, ...memoryBreakdown(), sqlite: sqliteFigures() });
    }
    clock += probeEveryMs;
  }
  const wallSeconds = (performance.now() - started) / 1000;

  const rows: Record<string, number> = {};
  for (const table of ["events", "incidents", "outbox", "samples", "state", "approvals", "task_runs", "mutes"]) {
    const [{ n }] = (await dataSource.query(`SELECT count(*) AS n FROM "${table}"`)) as { n: number }[];
    rows[table] = n;
  }
  const incidents = (await dataSource.query(
    `SELECT "subjectKind" || ':' || "condition" AS kind, count(*) AS n FROM "incidents" GROUP BY kind`,
  )) as { kind: string; n: number }[];
  const afterRunBytes = await databaseBytes();
  const tableBytes = await tableBytesNow();
  const pageCount = async (pragma: string) => ((await dataSource.query(`PRAGMA ${pragma}`)) as Record<string, number>[])[0][pragma];

  // Retention at work: a week after the end, the samples are past retention.samples (7 days).
  clock += settings.retention.samplesMs;
  const removed = await retention();
  const freedBytes = (await pageCount("freelist_count")) * (await pageCount("page_size"));
  const afterRetentionBytes = await databaseBytes();
  await dataSource.destroy();

  const report: EngineDayReport = {
    probeEveryMs,
    cycles,
    wallSeconds,
    rssByCycle,
    incidentsOpened,
    incidentsByKind: Object.fromEntries(incidents.map(({ kind, n }) => [kind, n])),
    sqliteCacheBytes,
    delivered: { messages: messagesSent, characters: charactersSent },
    database: { emptyBytes, afterRunBytes, rows, emptyTableBytes, tableBytes, retention: { removed: { ...removed }, freedBytes, fileBytes: afterRetentionBytes } },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
} finally {
  await watched.stop();
  rmSync(home, { recursive: true, force: true });
}
// The engine's parts keep no promise of stopping by themselves (a pino stream, TypeORM's pool):
// the report is out, so the worker ends here.
process.exit(0);

/**
 * Full garbage collections until V8's heap stops shrinking (at most 10). What V8 holds after one
 * or two depends on the collections before: each one ages compiled code and compacts a little
 * more, so two readings one cycle apart, both after two forced collections, differed by 3 MB.
 * Settled, they agree within half a MB (measured over a simulated day).
 */
function settleHeap(): void {
  gc!();
  let before = process.memoryUsage().heapTotal;
  for (let i = 0; i < 10; i++) {
    gc!();
    const after = process.memoryUsage().heapTotal;
    if (after >= before) return;
    before = after;
  }
}

/**
 * The real probe, with the host CPU figure taken over at least the last second of real time and
 * without this worker's own CPU time. A cycle here lasts a few ms, and /proc/stat counts in 10 ms
 * ticks: the probe's own figure would read 0, 50 or 100% at random, and the loop keeps a core busy
 * by design (probing every 15 s never does); either would open host CPU incidents that only the
 * benchmark causes. Load from anything else on the machine still counts.
 */
function withoutOwnCpu(probe: Probe): Probe {
  const readings: { at: number; busy: number; total: number; own: number }[] = [];
  return {
    stats: probe.stats,
    async sample() {
      const snapshot = await probe.sample();
      const host = hostTicks();
      const reading = { at: performance.now(), ...host, own: cpuSecondsOf(process.pid) * 100 };
      readings.push(reading);
      while (readings.length > 1 && reading.at - readings[1].at >= 1000) readings.shift();
      const first = readings[0];
      const total = reading.total - first.total;
      if (total <= 0) return snapshot;
      const busy = reading.busy - first.busy - (reading.own - first.own);
      return { ...snapshot, host: { ...snapshot.host, cpuPercent: Math.min(100, Math.max(0, (busy / total) * 100)) } };
    },
  };
}

/** The host's CPU time, busy (not idle or iowait) and in all, every core, in ticks, from /proc/stat. */
function hostTicks(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "latin1").split("\n", 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3] - fields[4], total };
}
