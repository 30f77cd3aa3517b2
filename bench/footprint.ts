/**
 * Figures 1 and 3, from one run side by side: the resident memory of `gaia start` watching 20
 * services 30–60 s after it first polled, next to the bare grammY bot's (figure 1), and the CPU
 * time each used over a minute of idling with the default schedule, as % of one core (figure 3).
 * The CPU minute is the second one after the first poll: in the first, gaia loads and runs what
 * follows its first poll (the local API, the first probe), and V8's memory reducer then runs full
 * garbage collections to shrink the heap start-up grew; that is start-up, not idling. The first
 * minute's CPU is reported beside it.
 */
import { cpuSecondsOf, rssBytesOf } from "./lib/proc-stats.js";
import { sleep } from "./lib/numbers.js";
import { type GaiaHome, servicesUp, whileRunning } from "./lib/gaia-process.js";
import type { StartupSubject } from "./startup.js";

/** Readings of RSS between these seconds after the first poll make the memory figure. */
export const MEMORY_FROM_S = 30;
export const MEMORY_TO_S = 60;
/** The idle CPU minute starts this long after the first poll. */
export const SETTLE_MS = 60_000;

/** One process's figures over the window. */
export interface ProcessFootprint {
  /** Mean RSS of the readings 30–60 s after the first poll (RSS swings by tens of MB with each major GC). */
  rssBytes: number;
  /** RSS at the end of the window, and the highest reading. */
  finalRssBytes: number;
  peakRssBytes: number;
  cpuSeconds: number;
  cpuPercentOfCore: number;
  /** CPU over the first SETTLE_MS after the first poll, % of one core. */
  settlingCpuPercentOfCore: number;
  /** RSS every 5 s from the first poll. */
  rssTrend: number[];
}

export interface FootprintResult {
  /** The idle CPU window, seconds; it starts SETTLE_MS after the first poll. */
  windowSeconds: number;
  settleSeconds: number;
  gaia: ProcessFootprint;
  bare: ProcessFootprint;
  rssRatio: number;
  /** Services the monitor saw up at the end of the window, by its own status API. */
  servicesUp: { up: number; configured: number };
}

/**
 * Starts the bare bot, then gaia; from the moment gaia polls Telegram, lets both idle while their
 * RSS is read every 5 s, and reads their CPU time over `windowMs` after SETTLE_MS.
 */
export async function measureFootprint(gaiaSubject: StartupSubject, bareSubject: StartupSubject, home: GaiaHome, windowMs: number): Promise<FootprintResult> {
  const bare = bareSubject.start();
  const gaia = gaiaSubject.start();
  try {
    await whileRunning(bare, bareSubject.fake.waitForPoll(30_000), "bare bot start-up");
    await whileRunning(gaia, gaiaSubject.fake.waitForPoll(30_000), "gaia start-up");
    const polledAt = performance.now();
    const elapsed = () => performance.now() - polledAt;
    const trend = { gaia: [] as number[], bare: [] as number[], atSeconds: [] as number[] };
    const read = () => {
      trend.gaia.push(rssBytesOf(gaia.pid));
      trend.bare.push(rssBytesOf(bare.pid));
      trend.atSeconds.push(elapsed() / 1000);
    };
    const idleUntil = async (ms: number) => {
      while (elapsed() < ms - 1) {
        const next = Math.min(ms, (Math.floor(elapsed() / 5000) + 1) * 5000);
        await whileRunning(gaia, sleep(next - elapsed()), "gaia idling");
        if (next % 5000 === 0) read();
      }
    };
    const cpuAtPoll = { gaia: cpuSecondsOf(gaia.pid), bare: cpuSecondsOf(bare.pid), at: performance.now() };
    await idleUntil(SETTLE_MS);
    const cpuBefore = { gaia: cpuSecondsOf(gaia.pid), bare: cpuSecondsOf(bare.pid), at: performance.now() };
    await idleUntil(SETTLE_MS + windowMs);
    const seconds = (performance.now() - cpuBefore.at) / 1000;
    const settlingSeconds = (cpuBefore.at - cpuAtPoll.at) / 1000;
    const figures = (pid: number, atPoll: number, before: number, rssTrend: number[]): ProcessFootprint => {
      const cpuSeconds = cpuSecondsOf(pid) - before;
      const inWindow = rssTrend.filter((_, i) => trend.atSeconds[i] >= MEMORY_FROM_S - 0.5 && trend.atSeconds[i] <= MEMORY_TO_S + 0.5);
      return {
        rssBytes: inWindow.reduce((a, b) => a + b, 0) / inWindow.length,
        finalRssBytes: rssTrend[rssTrend.length - 1],
        peakRssBytes: Math.max(...rssTrend),
        cpuSeconds,
        cpuPercentOfCore: (cpuSeconds / seconds) * 100,
        settlingCpuPercentOfCore: ((before - atPoll) / settlingSeconds) * 100,
        rssTrend,
      };
    };
    const gaiaFigures = figures(gaia.pid, cpuAtPoll.gaia, cpuBefore.gaia, trend.gaia);
    const bareFigures = figures(bare.pid, cpuAtPoll.bare, cpuBefore.bare, trend.bare);
    return {
      windowSeconds: seconds,
      settleSeconds: SETTLE_MS / 1000,
      gaia: gaiaFigures,
      bare: bareFigures,
      rssRatio: gaiaFigures.rssBytes / bareFigures.rssBytes,
      servicesUp: await servicesUp(home),
    };
  } finally {
    await Promise.all([gaia.stop(), bare.stop()]);
  }
}
