/**
 * Figures 1 and 3, from one run side by side: the resident memory of `gaia start` watching 20
 * services after a minute of work next to the bare grammY bot's (figure 1), and the CPU time gaia
 * used over that minute with the default schedule, as % of one core (figure 3).
 */
import { cpuSecondsOf, rssBytesOf } from "./lib/proc-stats.js";
import { sleep } from "./lib/numbers.js";
import { type GaiaHome, servicesUp, whileRunning } from "./lib/gaia-process.js";
import type { StartupSubject } from "./startup.js";

/** One process's figures over the window. */
export interface ProcessFootprint {
  /** Mean RSS over the second half of the window (RSS swings by tens of MB with each major GC). */
  rssBytes: number;
  /** RSS at the end of the window, and the highest reading. */
  finalRssBytes: number;
  peakRssBytes: number;
  cpuSeconds: number;
  cpuPercentOfCore: number;
  /** RSS every 5 s from the start of the window. */
  rssTrend: number[];
}

export interface FootprintResult {
  windowSeconds: number;
  gaia: ProcessFootprint;
  bare: ProcessFootprint;
  rssRatio: number;
  /** Services the monitor saw up at the end of the window, by its own status API. */
  servicesUp: { up: number; configured: number };
}

/**
 * Starts the bare bot, then gaia; from the moment gaia polls Telegram, lets both idle for
 * `windowMs` while their RSS is sampled every 5 s, then reads their CPU time.
 */
export async function measureFootprint(gaiaSubject: StartupSubject, bareSubject: StartupSubject, home: GaiaHome, windowMs: number): Promise<FootprintResult> {
  const bare = bareSubject.start();
  const gaia = gaiaSubject.start();
  try {
    await whileRunning(bare, bareSubject.fake.waitForPoll(30_000), "bare bot start-up");
    await whileRunning(gaia, gaiaSubject.fake.waitForPoll(30_000), "gaia start-up");
    const startedAt = performance.now();
    const cpuBefore = { gaia: cpuSecondsOf(gaia.pid), bare: cpuSecondsOf(bare.pid) };
    const trend = { gaia: [] as number[], bare: [] as number[] };
    while (performance.now() - startedAt < windowMs) {
      await whileRunning(gaia, sleep(Math.min(5000, windowMs - (performance.now() - startedAt))), "gaia idling");
      trend.gaia.push(rssBytesOf(gaia.pid));
      trend.bare.push(rssBytesOf(bare.pid));
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const figures = (pid: number, before: number, rssTrend: number[]): ProcessFootprint => {
      const cpuSeconds = cpuSecondsOf(pid) - before;
      const secondHalf = rssTrend.slice(Math.floor(rssTrend.length / 2));
      return {
        rssBytes: secondHalf.reduce((a, b) => a + b, 0) / secondHalf.length,
        finalRssBytes: rssTrend[rssTrend.length - 1],
        peakRssBytes: Math.max(...rssTrend),
        cpuSeconds,
        cpuPercentOfCore: (cpuSeconds / seconds) * 100,
        rssTrend,
      };
    };
    const gaiaFigures = figures(gaia.pid, cpuBefore.gaia, trend.gaia);
    const bareFigures = figures(bare.pid, cpuBefore.bare, trend.bare);
    return {
      windowSeconds: seconds,
      gaia: gaiaFigures,
      bare: bareFigures,
      rssRatio: gaiaFigures.rssBytes / bareFigures.rssBytes,
      servicesUp: await servicesUp(home),
    };
  } finally {
    await Promise.all([gaia.stop(), bare.stop()]);
  }
}
