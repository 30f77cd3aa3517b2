/**
 * Figure 5, start-up: from the spawn of the process to its first getUpdates waiting at the fake
 * Telegram (the moment a bot can hear its users), for `gaia start` and for the bare grammY bot,
 * alternated so that both see the same machine.
 */
import type { FakeTelegram } from "./lib/fake-telegram.js";
import { type BenchProcess, whileRunning } from "./lib/gaia-process.js";
import { median, sleep } from "./lib/numbers.js";

/** One bot to start: how to spawn it, and the fake it polls. */
export interface StartupSubject {
  start(): BenchProcess;
  fake: FakeTelegram;
}

export interface StartupResult {
  /** Each timed start, ms. */
  gaiaMs: number[];
  bareMs: number[];
  /** gaia's very first start on a fresh home (creates gaia.db and applies the migrations), ms. */
  gaiaFirstStartMs: number;
  gaiaMedianMs: number;
  bareMedianMs: number;
  ratio: number;
}

/**
 * Times the spawn → first waiting getUpdates of each bot `reps` times, after one untimed start of
 * each (that one warms the file cache; gaia's also creates gaia.db, and is reported apart).
 */
export async function measureStartup(gaia: StartupSubject, bare: StartupSubject, reps: number): Promise<StartupResult> {
  const gaiaFirstStartMs = await timeOneStart(gaia);
  await timeOneStart(bare);
  const gaiaMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    bareMs.push(await timeOneStart(bare));
    gaiaMs.push(await timeOneStart(gaia));
  }
  const gaiaMedianMs = median(gaiaMs);
  const bareMedianMs = median(bareMs);
  return { gaiaMs, bareMs, gaiaFirstStartMs, gaiaMedianMs, bareMedianMs, ratio: gaiaMedianMs / bareMedianMs };
}

/**
 * Starts a bot, waits for its first long poll, stops it. The fake's listener fires in the same
 * tick as the poll arrives, so the figure is the bot's, not the fake's.
 */
export async function timeOneStart(subject: StartupSubject): Promise<number> {
  const bot = subject.start();
  try {
    await whileRunning(bot, subject.fake.waitForPoll(30_000), "waiting for the first getUpdates");
    return performance.now() - bot.spawnedAt;
  } finally {
    await bot.stop();
    // Let the fake see the poll's connection close before the next start is timed.
    await sleep(300);
  }
}
