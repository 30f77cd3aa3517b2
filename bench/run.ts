/**
 * `npm run bench`: every figure of the benchmark, measured in one run against baselines run side
 * by side, then printed as a table (stdout), written to bench/results.json and bench/results.md,
 * and copied into the README's Benchmarks section. Progress goes to stderr.
 *
 * Development: `node --expose-gc dist-bench/bench/run.js --only probe,startup` runs some figures only
 * and writes nothing.
 */
import { randomBytes } from "node:crypto";
import { cpus, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { measureEngineDay, type EngineDayResult } from "./engine-day.js";
import { MEMORY_FROM_S, MEMORY_TO_S, measureFootprint, type FootprintResult } from "./footprint.js";
import { measureApproveToExit, measureKillToAlert, type ApproveToExitResult, type KillToAlertResult } from "./latency.js";
import { measureLauncher, type LauncherResult } from "./launcher.js";
import { startFakeTelegram } from "./lib/fake-telegram.js";
import { gaiaCommands, makeGaiaHome, startGaia, startNodeProcess, whileRunning } from "./lib/gaia-process.js";
import { round, sleep } from "./lib/numbers.js";
import { startWatchedProcesses } from "./lib/watched-processes.js";
import { measureModuleCost, type ModuleCostResult } from "./module-cost.js";
import { FULL_SCAN_MAX_AGE_MS } from "../monitor/known-processes.js";
import { measureProbeCost, type ProbeCostRow } from "./probe-cost.js";
import { measureCheckCost, WINDOW_CYCLES, ROUNDS, type CheckCostRow } from "./check-cost.js";
import { type Machine, markdownSection, markdownTable, mb, type TableRow, times, updateReadme, writeAtomically } from "./report.js";
import { measureStartup, type StartupResult, type StartupSubject } from "./startup.js";

const BARE_BOT = fileURLToPath(new URL("./bare-grammy-bot.js", import.meta.url));
const RESULTS_JSON = fileURLToPath(new URL("../../bench/results.json", import.meta.url));
const RESULTS_MD = fileURLToPath(new URL("../../bench/results.md", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));

/** The settings of the run; the figures' targets come from issue 8. */
const SERVICES = 20;
const FOOTPRINT_WINDOW_MS = 60_000;
const STARTUP_REPS = 5;
const LATENCY_PROBE_EVERY = "2s";
const KILLS = 3;
const APPROVALS = 3;
const LAUNCHER_RUNS = 10;
const BENCH_TASK = "bench-task";

interface Figures {
  probeCost?: ProbeCostRow[];
  /** The probe with 20 HTTP endpoints, and with 20 containers (issue 17). */
  checkCost?: CheckCostRow[];
  startup?: StartupResult;
  footprint?: FootprintResult;
  engineDay?: EngineDayResult;
  killToAlert?: KillToAlertResult;
  approveToExit?: ApproveToExitResult;
  launcher?: LauncherResult;
  /** Not a figure: what each package gaia loads costs, to explain memory and start-up. */
  moduleCost?: ModuleCostResult;
  /** Figures that could not be measured, and why. */
  skipped: Record<string, string>;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const onlyIndex = argv.indexOf("--only");
  const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1]?.split(",")) : undefined;
  const wanted = (figure: string) => !only || only.has(figure);
  if (typeof globalThis.gc !== "function") log("note: run with node --expose-gc for the memory figures (npm run bench does)");
  // Unique per run: other people's tests on this machine must never match our processes.
  const runId = randomBytes(2).toString("hex");
  const started = performance.now();
  const figures: Figures = { skipped: {} };
  const commands = await gaiaCommands();
  // A figure that fails is reported and the others still run; nothing is written then.
  const failures: string[] = [];
  const attempt = async (what: string, measure: () => Promise<void>) => {
    try {
      await measure();
    } catch (error) {
      failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      log(`  FAILED: ${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  };

  if (wanted("probe")) {
    log("probe cost (1, 20, 100, 500 watched processes)...");
    await attempt("probe cost", async () => void (figures.probeCost = await measureProbeCost(`c${runId}`, log)));
    log("probe cost with 20 HTTP endpoints and with 20 containers (checks in the background)...");
    await attempt("probe cost with checks", async () => void (figures.checkCost = await measureCheckCost(log)));
  }

  if (wanted("startup") || wanted("footprint")) await attempt("start-up and footprint", async () => {
    const watched = await startWatchedProcesses(SERVICES, `f${runId}`);
    const gaiaTelegram = await startFakeTelegram();
    const bareTelegram = await startFakeTelegram();
    const home = await makeGaiaHome({ services: yamlServices(watched.names) }, gaiaTelegram.endpoint);
    const gaia: StartupSubject = { fake: gaiaTelegram.fake, start: () => startGaia(home.home) };
    const bare: StartupSubject = {
      fake: bareTelegram.fake,
      start: () => startNodeProcess([BARE_BOT, bareTelegram.endpoint.token, bareTelegram.endpoint.apiRoot], { cwd: home.home, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }),
    };
    try {
      if (wanted("startup")) {
        log(`start-up (${STARTUP_REPS} starts of each, alternated)...`);
        await attempt("start-up", async () => {
          figures.startup = await measureStartup(gaia, bare, STARTUP_REPS);
          log(`  gaia ${figures.startup.gaiaMedianMs.toFixed(0)} ms, bare bot ${figures.startup.bareMedianMs.toFixed(0)} ms`);
        });
      }
      if (wanted("footprint")) {
        log(`memory and idle CPU (side by side, ${SERVICES} services, default schedule; CPU over the second minute after the first poll)...`);
        await attempt("memory and idle CPU", async () => {
          figures.footprint = await measureFootprint(gaia, bare, home, FOOTPRINT_WINDOW_MS);
          log(`  gaia ${mb(figures.footprint.gaia.rssBytes)}, bare bot ${mb(figures.footprint.bare.rssBytes)}; gaia CPU ${figures.footprint.gaia.cpuPercentOfCore.toFixed(2)}% of a core`);
        });
      }
    } finally {
      await Promise.all([gaiaTelegram.fake.stop(), bareTelegram.fake.stop(), watched.stop()]);
      home.remove();
    }
  });

  if (wanted("modules")) {
    log("what each package gaia loads costs (3 fresh processes)...");
    await attempt("module cost", async () => void (figures.moduleCost = await measureModuleCost(3)));
  }

  if (wanted("engine")) {
    log("a simulated week of the monitoring engine (memory growth, gaia.db growth)...");
    await attempt("simulated week", async () => void (figures.engineDay = await measureEngineDay({ services: SERVICES, prefix: `e${runId}`, log })));
  }

  if (wanted("latency") || wanted("approve") || wanted("launcher")) await attempt("latency, approvals and launcher", async () => {
    const watched = await startWatchedProcesses(SERVICES, `l${runId}`);
    const telegram = await startFakeTelegram();
    const home = await makeGaiaHome(
      { services: yamlServices(watched.names), tasks: [{ name: BENCH_TASK }], probeEvery: LATENCY_PROBE_EVERY },
      telegram.endpoint,
    );
    const gaia = startGaia(home.home);
    try {
      await whileRunning(gaia, telegram.fake.waitForPoll(30_000), "gaia start-up");
      // Two probe periods: every service has been seen up before the first kill.
      await whileRunning(gaia, sleep(2 * parseSeconds(LATENCY_PROBE_EVERY) * 1000 + 500), "gaia warming up");
      if (wanted("latency")) {
        log(`kill → alert (${KILLS} kills, probe.every ${LATENCY_PROBE_EVERY})...`);
        await attempt("kill → alert", async () => {
          const result = await measureKillToAlert({
            gaia,
            fake: telegram.fake,
            watched,
            probeEveryMs: parseSeconds(LATENCY_PROBE_EVERY) * 1000,
            sustain: 2, // the default of host.sustain, which the home leaves unset
            kills: KILLS,
          });
          figures.killToAlert = result;
          log(`  ${result.latenciesMs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(", ")} (bound ${result.boundMs / 1000} s)`);
        });
      }
      if (wanted("approve")) {
        if (!commands.has("approve")) figures.skipped.approveToExit = "`gaia approve` has not landed yet";
        else {
          log(`Approve → gaia approve exits (${APPROVALS} requests)...`);
          await attempt("Approve → exit", async () => {
            const result = await measureApproveToExit({ gaia, fake: telegram.fake, home: home.home, requests: APPROVALS });
            figures.approveToExit = result;
            log(`  ${result.latenciesMs.map((ms) => `${ms} ms`).join(", ")}`);
          });
        }
      }
      if (wanted("launcher")) {
        if (!commands.has("run")) figures.skipped.launcher = "`gaia run` has not landed yet";
        else {
          log(`launcher overhead (${LAUNCHER_RUNS} runs of each)...`);
          await attempt("launcher", async () => {
            const result = await measureLauncher(home.home, BENCH_TASK, LAUNCHER_RUNS);
            figures.launcher = result;
            log(`  gaia run ${result.gaiaRunMs.toFixed(0)} ms, node -e 0 ${result.nodeMs.toFixed(0)} ms, true ${result.trueMs.toFixed(1)} ms`);
          });
        }
      }
    } finally {
      await gaia.stop();
      await Promise.all([telegram.fake.stop(), watched.stop()]);
      home.remove();
    }
  });

  const runSeconds = (performance.now() - started) / 1000;
  const machine = describeMachine();
  const { rows, notes } = tableOf(figures);
  const table = markdownTable(rows);
  process.stdout.write(`\nGaia Monitor benchmark, ${machine.date} — ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}\n\n${table}\n\n`);
  for (const note of notes) process.stdout.write(`- ${note}\n`);
  if (failures.length > 0) {
    log(`\n${failures.length} figure(s) failed, so nothing was written:\n${failures.map((f) => `- ${f}`).join("\n")}`);
    return 1;
  }
  if (only) {
    log("\n(--only: nothing written)");
    return 0;
  }
  writeAtomically(RESULTS_JSON, `${JSON.stringify({ machine, runSeconds: round(runSeconds, 1), table: rows, notes, figures: roundDeep(figures) }, null, 2)}\n`);
  const section = markdownSection(machine, rows, notes, runSeconds);
  writeAtomically(RESULTS_MD, `${section}\n`);
  const inReadme = updateReadme(README, section);
  log(`\nwrote bench/results.json and bench/results.md${inReadme ? " and the README's Benchmarks section" : " (the README has no bench markers: not updated)"}; ${Math.round(runSeconds)} s in all`);
  return 0;
}

function signedPercent(fraction: number): string {
  return `${fraction >= 0 ? "+" : "−"}${(Math.abs(fraction) * 100).toFixed(1)}%`;
}

function signedMb(bytes: number): string {
  return `${bytes >= 0 ? "+" : "−"}${(Math.abs(bytes) / 1e6).toFixed(1)} MB`;
}

/**
 * How RSS changed from each window's start to the end of the week, by owner (MemoryParts): what
 * grew is named with its size, so a one-off fill-up and a leak read differently.
 */
function growthByPart(e: EngineDayResult): string {
  const parts = (w: EngineDayResult["memory"]["windows"][number]) => {
    const d = (key: keyof typeof w.partsAfter) => signedMb(w.partsAfter[key] - w.partsBefore[key]);
    return `mapped files (node's binary, libraries) ${d("files")}, V8's heap ${d("v8Heap")} (its compiled code ${d("v8Code")}), the C allocator's main heap (SQLite's page cache and statements) ${d("mallocMain")}, its arenas for V8's worker threads ${d("mallocThreads")}, other anonymous memory (pages V8 keeps for reuse, allocations mapped on their own, thread stacks) ${d("rest")}`;
  };
  return `Each reading is also divided by owner (results.json, rssByCycle: /proc/self/status, V8's heap spaces, and the C allocator's heaps from /proc/self/smaps). ${e.memory.windows.map((w) => `From the ${w.warmUp} start to the end: ${parts(w)}.`).join(" ")}`;
}

/** The gaia.yml services of the watched processes: each matched by its process name. */
function yamlServices(names: string[]): Record<string, unknown>[] {
  return names.map((name) => ({ name, match: { process: name } }));
}

function parseSeconds(duration: string): number {
  const match = /^(\d+)s$/.exec(duration);
  if (!match) throw new Error(`expected a duration in seconds, got ${duration}`);
  return Number(match[1]);
}

function describeMachine(): Machine {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    memoryBytes: totalmem(),
    kernel: release(),
  };
}

/** Rounds every number of the figures to 3 decimals, for a readable results.json. */
function roundDeep(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? value : round(value, 3);
  if (Array.isArray(value)) return value.map(roundDeep);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)]));
  return value;
}

/** The table rows, each figure next to its target, and the notes that explain the method. */
function tableOf(f: Figures): { rows: TableRow[]; notes: string[] } {
  const rows: TableRow[] = [];
  const notes: string[] = [];
  const verdict = (ok: boolean): "pass" | "miss" => (ok ? "pass" : "miss");

  if (f.footprint) {
    const { gaia, bare, rssRatio, servicesUp } = f.footprint;
    if (servicesUp.up !== SERVICES) notes.push(`Warning: at the end of the memory and idle CPU run, gaia saw ${servicesUp.up} of its ${servicesUp.configured} services up.`);
    rows.push({ figure: `Memory (RSS) ${MEMORY_FROM_S}–${MEMORY_TO_S} s after start, ${servicesUp.up}/${SERVICES} services up`, gaia: mb(gaia.rssBytes), baseline: `${mb(bare.rssBytes)} bare grammY bot`, compared: times(rssRatio), target: "≤ 1.50×", verdict: verdict(rssRatio <= 1.5) });
  }
  if (f.engineDay) {
    const g = f.engineDay.memory;
    const windows = g.windows.map((w) => `${signedPercent(w.growth)} after ${w.warmUp}`).join("; ");
    rows.push({
      figure: `Memory growth over a simulated week (${f.engineDay.cycles} probe cycles), after a warm-up of ${g.windows.map((w) => w.warmUp).join(" or ")}`,
      gaia: `${mb(g.stricter.rssBeforeBytes)} → ${mb(g.stricter.rssAfterBytes)}`,
      baseline: "",
      compared: windows,
      target: "< 5% (the larger)",
      verdict: verdict(g.stricter.growth < 0.05),
    });
  }
  if (f.probeCost) {
    for (const row of f.probeCost) {
      if (row.scansPerCycle !== row.probeStats.scans || row.spawnsPerCycle !== row.probeStats.spawns || row.probeStats.scans + row.probeStats.fastCycles !== 1) {
        notes.push(`Warning: at ${row.watched} watched, the counts around the probe (${row.scansPerCycle} scans, ${row.spawnsPerCycle} spawns) differ from its own counters (${row.probeStats.scans}, ${row.probeStats.spawns}).`);
      }
      if (!row.allMatched) notes.push(`Warning: at ${row.watched} watched, some services did not match exactly their one process.`);
      if (row.statReadsPerCycle !== row.watched) notes.push(`Warning: at ${row.watched} watched, a steady cycle read ${row.statReadsPerCycle} stat files.`);
      // Steady state: no listing of /proc, one stat read per watched process, no child process.
      const countsOk = row.scansPerCycle === 0 && row.probeStats.fastCycles === 1 && row.spawnsPerCycle === 0;
      const ratioTarget = row.watched === SERVICES;
      const ms = (us: number) => (us / 1000).toFixed(us < 1000 ? 3 : 2);
      rows.push({
        figure: `Probe cycle, ${row.watched} watched (${row.tableSize} processes on the host)`,
        gaia: `${ms(row.mixedCpuUs)} ms CPU: ${ms(row.probeCpuUs)} ms a fast cycle (${row.statReadsPerCycle} stat reads, no scan), ${ms(row.fullCycleCpuUs)} ms the 1 cycle in ${row.cyclesPerFullScan} with a full scan; ${row.spawnsPerCycle} spawns`,
        baseline: `${ms(row.rawCpuUs)} ms raw stat reads`,
        compared: `${times(row.mixedRatio)} (fast ${times(row.ratio)}, full ${times(row.fullCycleRatio)})`,
        target: ratioTarget ? "≤ 3×; 0 spawns" : "0 spawns",
        verdict: verdict(countsOk && (!ratioTarget || row.mixedRatio <= 3)),
      });
    }
  }
  if (f.checkCost) {
    for (const row of f.checkCost) {
      if (!row.allUp) notes.push(`Warning: with ${row.checked} ${row.kind === "http" ? "endpoints" : "containers"}, some were not read up at the end of the run.`);
      const ms = (us: number) => (us / 1000).toFixed(2);
      // Never waits: a cycle that waited for one check would take at least an answer's delay.
      const neverWaits = row.sampleWallMaxMs < row.answerDelayMs;
      rows.push({
        figure: `Probe cycle with ${row.checked} ${row.kind === "http" ? "HTTP endpoints (real servers on loopback)" : "containers (fake Docker Engine API, unix socket)"}, checks in the background`,
        gaia: `${ms(row.cpuPerCycleUs)} ms CPU: probe ${ms(row.probeOnlyCpuUs)} + ${row.checked} checks ${ms(row.checksCpuUs)}; sample() ${row.sampleWallMaxMs.toFixed(1)} ms at most; ${row.spawnsPerCycle} spawns`,
        baseline: `${ms(row.rawCpuUs)} ms raw node:http ${row.kind === "http" ? `${row.checked} GETs` : `${row.checked} inspect + stats`}`,
        compared: row.rawCpuUs > 0 ? `checks ${times(row.checksCpuUs / row.rawCpuUs)} raw` : "",
        target: `0 spawns; never waits for a check (sample() < ${row.answerDelayMs} ms answer delay)`,
        verdict: verdict(row.spawnsPerCycle === 0 && neverWaits),
      });
    }
  }
  if (f.footprint) {
    const { gaia, bare, windowSeconds, settleSeconds } = f.footprint;
    rows.push({ figure: `Idle CPU over ${Math.round(windowSeconds)} s from ${settleSeconds} s after start, default schedule`, gaia: `${gaia.cpuSeconds.toFixed(2)} s = ${gaia.cpuPercentOfCore.toFixed(2)}% of a core`, baseline: `${bare.cpuPercentOfCore.toFixed(2)}% bare grammY bot`, compared: "", target: "≤ 0.3% of a core", verdict: verdict(gaia.cpuPercentOfCore <= 0.3) });
  }
  if (f.killToAlert) {
    const k = f.killToAlert;
    const limitMs = k.boundMs + 1000;
    rows.push({ figure: `Kill → down alert accepted, probe.every ${k.probeEveryMs / 1000} s, sustain ${k.sustain}`, gaia: `median ${(k.medianMs / 1000).toFixed(2)} s, max ${(k.maxMs / 1000).toFixed(2)} s`, baseline: `bound ${k.boundMs / 1000} s`, compared: `max ${times(k.maxMs / k.boundMs)} bound`, target: `≤ bound + 1 s = ${limitMs / 1000} s`, verdict: verdict(k.maxMs <= limitMs) });
  }
  if (f.approveToExit) {
    const a = f.approveToExit;
    rows.push({ figure: "Approve press → `gaia approve` exits", gaia: `median ${a.medianMs} ms, max ${a.maxMs} ms`, baseline: "", compared: "", target: "≤ 1 s", verdict: verdict(a.maxMs <= 1000) });
  }
  if (f.startup) {
    const s = f.startup;
    rows.push({ figure: "Start-up: spawn → first getUpdates", gaia: `${s.gaiaMedianMs.toFixed(0)} ms`, baseline: `${s.bareMedianMs.toFixed(0)} ms bare grammY bot`, compared: times(s.ratio), target: "≤ 2×", verdict: verdict(s.ratio <= 2) });
  }
  if (f.engineDay) {
    const d = f.engineDay.database;
    rows.push({ figure: `gaia.db growth, ${SERVICES} services, probe every ${d.probeEveryMs / 1000} s`, gaia: `${mb(d.bytesPerDay)} a day`, baseline: "", compared: `${mb(d.steadyStateBytes)} at steady state`, target: "≤ 5 MB a day", verdict: verdict(d.bytesPerDay <= 5e6) });
  }
  if (f.launcher) {
    const l = f.launcher;
    if (l.spooledReports > 0) notes.push(`Warning: ${l.spooledReports} run reports of the launcher runs were spooled instead of reaching the running monitor.`);
    rows.push({ figure: `Launcher: \`gaia run TASK -- true\`, monitor running`, gaia: `${l.gaiaRunMs.toFixed(0)} ms`, baseline: `${l.nodeMs.toFixed(0)} ms node -e 0; ${l.trueMs.toFixed(1)} ms true`, compared: `+${l.overheadOverNodeMs.toFixed(0)} ms over node`, target: "(none)", verdict: "n/a" });
  }
  for (const [figure, why] of Object.entries(f.skipped)) {
    rows.push({ figure, gaia: "not measured", baseline: "", compared: "", target: "", verdict: "n/a" });
    notes.push(`${figure}: ${why}.`);
  }
  notes.push(...methodNotes(f), ...missNotes(f, rows));
  return { rows, notes };
}

/**
 * For each missed target: why, from this run's own figures, and what would reach it. The causes
 * were found by profiling during development (see the bench's commit messages); the figures quoted
 * are this run's.
 */
function missNotes(f: Figures, rows: readonly TableRow[]): string[] {
  const notes: string[] = [];
  const missed = (prefix: string) => rows.some((row) => row.verdict === "miss" && row.figure.startsWith(prefix));
  const cost = (module: string) => f.moduleCost?.costs.find((c) => c.module === module);
  const typeorm = cost("typeorm");
  if (f.footprint && missed("Memory (RSS)")) {
    const m = f.moduleCost;
    notes.push(
      `Missed, memory: gaia still loads far more code than a bare bot${m ? ` (unbundled, with every package it imports loaded and nothing done yet, a fresh node holds ${mb(m.allRssBytes)}, against ${mb(m.grammyRssBytes)} with grammY alone; TypeORM${typeorm ? ` ${signedMb(typeorm.addedRssBytes)}` : ""})` : ""}. ` +
        "What the levers of issue 16 did, each measured side by side during development (whole processes, medians): the bundle holds about as much as the unbundled code once everything is loaded, but minifying its whitespace and syntax saves about 9 MB of peak RSS (less source text kept by V8); " +
        "TypeORM's unused drivers left out of the bundle take 0.6 MB of code away; the local API on node:http with a router of gaia's own instead of fastify holds 2–4 MB less RSS 30–60 s after start (84.9 → 81.3 MB, medians of three alternated runs), and idle CPU 0.53% → 0.40% of a core; " +
        "V8 flags change nothing measurable there (--optimize-for-size 100.4 MB, --max-semi-space-size=1 100.4 MB, none 99.7 MB, each beside its own bare bot); node --v8-pool-size=1, shipped, 69.4 MB against 72.2 MB without it. " +
        "What would reach 1.5×: entities/ as prepared better-sqlite3 statements instead of TypeORM (its code and metadata are the largest share left).",
    );
  }
  if (f.startup && missed("Start-up")) {
    notes.push(
      `Missed, start-up: the first getUpdates still waits behind loading the code the bot needs first (TypeORM, grammY, pino: about 2.2 MB of bundled JavaScript to compile), opening gaia.db and getMe. ` +
        "A CPU profile of one start (this machine, loaded): about 180 ms compiling the bundle's modules, 90 ms garbage collection, 40 ms reading gaia's source maps. " +
        "What the levers did (side by side with the bare bot): the bundle halved the CPU of loading the start command (0.72 s → 0.31 s); the local API started after the first poll took the ratio from 3.1× to 2.4× (then fastify, a package to load; now node:http, which grammY's HTTP client has loaded already); the command menu registered alongside the first poll removes its round trips to Telegram (hundreds of ms on a real link, a few here); gaia.yml validated from the cache `gaia run` keeps (.tmp/validated-settings.json) instead of loading the YAML parser and zod took the code before the first poll from 2.8 MB to 2.2 MB and the ratio from 2.10× to 1.56× (a loaded machine). " +
        "What would reach 2×: TypeORM out of the code before the first poll (entities/ as prepared better-sqlite3 statements).",
    );
  }
  if (f.engineDay && missed("Memory growth")) {
    const g = f.engineDay.memory;
    const late = g.rssByCycle.filter((p) => p.cycle >= g.windows[g.windows.length - 1].fromCycle);
    const rss = late.map((p) => p.rssBytes);
    const grew = (key: "mallocMain" | "mallocThreads" | "v8Heap") => signedMb(g.stricter.partsAfter[key] - g.stricter.partsBefore[key]);
    notes.push(
      `Missed, memory growth: from the ${g.stricter.warmUp} start the V8 heap in use went from ${mb(g.heapBeforeBytes)} to ${mb(g.heapAfterBytes)} (no JavaScript object accumulates), and by owner (above) V8's heap ${grew("v8Heap")}, the C allocator's main heap ${grew("mallocMain")} and its arenas for V8's worker threads ${grew("mallocThreads")}; ` +
        `the RSS readings after the first day swing between ${mb(Math.min(...rss))} and ${mb(Math.max(...rss))} from one reading to the next, so a growth taken between two single readings moves by as much. ` +
        "What was found, each measured with this worker during development (a simulated day, or the week; readings after two forced collections): TypeORM's SQLite driver wrote every number into the SQL text, so nearly every write was a statement never seen before, compiled and later freed: 10,133 in one simulated day, and the C allocator's heaps grew with the churn (the week: +20.4% from the 1 hour start); " +
        "with numbers bound as parameters (entities/sqlite-runner.ts), 37 statements a day and +9.6% over the week, +1 hour to +7 days, with the C allocator's heaps flat after the first day. " +
        "SQLite's page cache filled over the first day (the main heap +2.9 MB at its former 2 MB cap; +0.6 MB at 512 KiB). " +
        "What is left is the first day's fill-up of V8: its optimized code, and the C allocator's arenas of its worker threads (the optimizing compiler and the garbage collector allocate there: with --single-threaded they stay empty and the main heap grows instead, with UV_THREADPOOL_SIZE=1 they grow as before); most of it over the first day (compare the two starts above: from the 1 day start, the six days after it). " +
        "Measured and not shipped: MALLOC_ARENA_MAX=2 (one shared arena: a simulated day +7.4% and +6.6% against +9.1%, but the week +11.3% against +8.4%, what the thread arenas no longer held went to the main heap), MALLOC_ARENA_MAX=1 (+6.7% over a day, the loop twice as slow), --max-semi-space-size=1 (RSS 30 MB lower, growth +14.2% over a day from the lower base), --single-threaded (+5.0% over a day; every garbage collection and compilation on the main thread), " +
        "Shipped since: node --v8-pool-size=1 (one V8 worker thread instead of four: the week +4.7% and +4.0% from the 1 hour start against +7.5% and +5.0% without it, RSS 11 MB lower at the end; in the systemd unit, the image's entrypoint and `npm start`, and this benchmark starts gaia and its worker with it). " +
        "What might reach 5% (not measured): less code for V8 to optimize in the monitoring loop (TypeORM's query building on every write: entities/ as prepared better-sqlite3 statements, as for memory above).",
    );
  }
  if (f.footprint && missed("Idle CPU")) {
    notes.push(
      `Missed, idle CPU: ${f.footprint.gaia.cpuSeconds.toFixed(2)} s over the minute; a CPU profile of an idle minute is mostly garbage collection of the heap the loaded code holds, then the probe every 15 s (the watched processes' stat files, their rows written to gaia.db) and the safety sweeps of the outbox (30 s) and the approvals (60 s). Less code (as above) is also less heap to collect.`,
    );
  }
  const twenty = f.probeCost?.find((row) => row.watched === SERVICES);
  if (twenty && missed(`Probe cycle, ${SERVICES} watched`)) {
    notes.push(
      `Missed, probe cost at ${SERVICES} services: a fast cycle (the host figures plus the ${SERVICES} watched stat files, read and parsed) costs ${times(twenty.ratio)} the raw reads, ` +
        `a cycle with a full scan of the ${twenty.tableSize} processes ${times(twenty.fullCycleRatio)}; the mix of 1 full in ${twenty.cyclesPerFullScan} comes to ${times(twenty.mixedRatio)}. ` +
        "What is left in a fast cycle beyond the raw reads: the host figures (/proc/stat, /proc/meminfo, /proc/uptime, statfs of the disks, /proc/self/mountinfo), which the baseline does not read.",
    );
  }
  return notes;
}

function methodNotes(f: Figures): string[] {
  const notes: string[] = [];
  if (f.footprint || f.startup) {
    notes.push(
      `Memory, idle CPU and start-up: the real \`gaia start\` as shipped (the esbuild bundle in dist/, started as \`node --v8-pool-size=1 dist/cli/gaia.js start\` like the systemd unit and the image, bench/lib/shipped-node-flags.ts) and a bare grammY bot (bench/bare-grammy-bot.ts: one command, long polling, grammY loaded from node_modules as a bot author runs it) each poll their own instance of the fake Telegram of the e2e tests (like Telegram, it serves one poller per token). The ${SERVICES} services match ${SERVICES} real \`sleep\` processes started under names of their own. RSS is VmRSS, the mean of the readings every 5 s from ${MEMORY_FROM_S} to ${MEMORY_TO_S} s after gaia first polled (a single reading swings by tens of MB with each major GC; results.json has them all); CPU is utime+stime from /proc/<pid>/stat over the second minute after gaia first polled: in the first (${f.footprint ? `${f.footprint.gaia.settlingCpuPercentOfCore.toFixed(2)}% of a core for gaia, ${f.footprint.bare.settlingCpuPercentOfCore.toFixed(2)}% for the bare bot` : "not measured"}) gaia loads and runs what follows its first poll (the local API, the first probe) and V8's memory reducer runs the full garbage collections that shrink the heap start-up grew (a CPU profile of that minute: most of it is GC). Start-up is the median of ${STARTUP_REPS} alternated starts from spawn to the first long poll waiting at the fake.`,
    );
  }
  if (f.moduleCost) {
    const m = f.moduleCost;
    const top = m.costs.filter((c) => c.importMs >= 20 || c.addedRssBytes >= 1e6).sort((a, b) => b.importMs - a.importMs);
    notes.push(
      `Where memory and start-up go (each npm package \`gaia start\` loads, imported one after the other into a fresh node, grammY first; median of 3): ` +
        `node alone ${mb(m.nodeRssBytes)} RSS, with grammY ${mb(m.grammyRssBytes)}, with everything ${mb(m.allRssBytes)} after ${m.allImportMs.toFixed(0)} ms of imports; ` +
        top.map((c) => `${c.module} ${c.importMs.toFixed(0)} ms, ${signedMb(c.addedRssBytes)} RSS (${signedMb(c.addedHeapBytes)} heap)`).join("; ") +
        ". RSS per package is noisy (allocator pages come and go); the V8 heap in use is steadier.",
    );
  }
  if (f.probeCost) {
    notes.push(
      "Probe cycle: monitor/probe.ts in-process, CPU time (user+system) per cycle, median of 7 batches of ~150 ms, interleaved with the baselines' batches (the ratio is the median of the batch-by-batch ratios); each watched process is its own service, matched by name. " +
        "While every watched process is the one the last full scan found (same pid and start time), a cycle reads only their stat files (a fast cycle); a full scan of /proc is taken when a service is down or one of its processes died or was replaced, " +
        `at least once a minute while a service has several processes (new workers), at least every ${FULL_SCAN_MAX_AGE_MS / 60_000} minutes otherwise, always with a port service, and when /top or an alert lists the busiest processes. ` +
        `The figure is the mean over the default probe.every of 15 s with these one-process services: the fast cycle, measured on a probe in its steady state, and the full-scan cycle, measured on the same services with the fast path off, weighed ${(f.probeCost[0]?.cyclesPerFullScan ?? 1) - 1} to 1. ` +
        "The baseline reads only the watched processes' /proc/<pid>/stat files (readFileSync, no parsing); scans (listings of /proc), stat reads and spawns of the steady state are counted by wrapping node:fs and node:child_process around 10 cycles.",
    );
    const twenty = f.probeCost.find((row) => row.watched === SERVICES);
    if (twenty) {
      notes.push(
        `A raw scan of the whole table (list /proc, read every stat file), the floor of a full scan, costs ${(twenty.rawScanCpuUs / 1000).toFixed(2)} ms at ${twenty.tableSize} processes: the probe's full-scan cycle is ${times(twenty.fullCycleCpuUs / twenty.rawScanCpuUs)} that. ` +
          `With a multi-process service among the ${SERVICES} (a full scan every minute, 1 cycle in 4 at 15 s) the mean would be ${times((3 * twenty.probeCpuUs + twenty.fullCycleCpuUs) / 4 / twenty.rawCpuUs)} the raw reads; with a service down, every cycle is a full scan (${times(twenty.fullCycleRatio)}).`,
      );
    }
  }
  if (f.checkCost) {
    const first = f.checkCost[0];
    notes.push(
      `Probe cycle with endpoints and containers: the real probe in-process, watching ${first?.checked ?? 20} HTTP endpoints (node:http servers on loopback) or ${first?.checked ?? 20} running containers (the e2e tests' fake Docker Engine API on a unix socket); both served by a child process (bench/check-servers.ts), so the CPU counted is the probe's own, and each answer waits ${first?.answerDelayMs ?? 100} ms. ` +
        `The checks run in the background as under \`gaia start\` (every probe period, here ${first?.periodMs ?? 250} ms, at most one in flight per service), so their cost is not inside sample(): a cycle's CPU is the whole process's user+system CPU over a window of ${WINDOW_CYCLES} cycles, divided by the cycles, which counts the sample and every check that ran in the window (${f.checkCost.map((r) => `${r.runsPerCycle.toFixed(1)} check runs a cycle for ${r.kind === "http" ? "endpoints" : "containers"}`).join(", ")}; a container's check is two requests, inspect and stats). ` +
        `The probe part is the same probe without these services measured the same way (host figures only; the process rows above add their own cost), the checks' part the difference; median of ${ROUNDS} windows alternated with the baselines. The baseline is the same requests made with node:http and nothing else (a new connection each, body read; for containers inspect then stats, JSON parsed). ` +
        "Never waits: sample()'s slowest wall time over the windows, against the answers' delay. Spawns are counted by wrapping node:child_process around a window of cycles and the checks within it.",
    );
  }
  if (f.engineDay) {
    const e = f.engineDay;
    notes.push(
      `Memory growth and gaia.db: a worker process drives the real engine (MonitorEngine: probe → rules → incidents, audit, outbox, rules' state and samples in gaia.db) over ${SERVICES} real processes with a clock advanced ${e.database.probeEveryMs / 1000} s per cycle, as fast as it runs: ${e.cycles} cycles = ${e.days} simulated days (${e.wallSeconds.toFixed(0)} s here), with one service killed and restarted every ${e.flapEveryCycles} cycles (incidents, alerts). RSS (VmRSS) is read every simulated 6 hours and at the end of each warm-up, in the same process throughout (nothing is restarted or reset between the readings), each time after full garbage collections repeated until V8's heap stops shrinking (after only two, as until 2026-12-02, two readings one cycle apart differed by 3 to 4 MB: what V8 keeps depends on the collections before); growth is from the end of a warm-up to the end of the week, from two starts (${e.memory.windows.map((w) => `after ${w.warmUp}, cycle ${w.fromCycle}: ${mb(w.rssBeforeBytes)} → ${mb(w.rssAfterBytes)}`).join("; ")}), because what the engine holds is not settled at once: V8 compiles and optimizes more of the code as it runs, and SQLite's page cache fills as gaia.db is written; the verdict takes the larger. ${growthByPart(e)} SQLite's page cache is capped by \`PRAGMA cache_size\` (entities/data-source.ts sets it on gaia's connection: ${mb(e.memory.sqliteCacheBytes)}, instead of better-sqlite3's 16 MB); it lives in the C allocator's main heap. SQLite compiled ${e.memory.statementsPrepared} statements over the week: gaia binds numbers as parameters (TypeORM's SQLite driver writes them into the SQL text), so each query is the same text each time and stays compiled in TypeORM's statement cache. Host CPU in this loop is taken over ≥ 1 s of real time without the loop's own CPU (a few-ms cycle against /proc/stat's 10 ms ticks reads 0, 50 or 100%). Delivery renders every alert with the real renderer and a sender that accepts it. The database is measured after a WAL checkpoint; ${e.database.retentionNote}`,
    );
  }
  if (f.killToAlert) {
    notes.push(`Kill → alert: SIGKILL at a random moment of the probe period, to the fake accepting the 🔴 sendMessage naming the service; gaia runs with probe.every ${LATENCY_PROBE_EVERY} to keep the run short. The bound is probe.every × (sustain + 1).`);
  }
  if (f.approveToExit) notes.push("Approve → exit: the fake injects the admin's press into gaia's waiting long poll; timed to the exit of the `gaia approve` process (code 0).");
  if (f.launcher) notes.push(`Launcher: median of ${LAUNCHER_RUNS} runs of each command, spawn to exit, interleaved, while \`gaia start\` runs and receives each run's reports.`);
  return notes;
}

// Exit through process.exit, so that every "exit" handler (the watched processes') runs.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
