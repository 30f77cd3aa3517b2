/**
 * Figure 4, reaction times of a running `gaia start`:
 * - kill → alert: SIGKILL of a watched process → the fake Telegram accepting the 🔴 message that
 *   names it, against the bound probe.every × (sustain + 1);
 * - Approve → exit: an admin's press on Approve → the waiting `gaia approve` exiting 0.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { CallRecord, FakeTelegram } from "./lib/fake-telegram.js";
import { ADMIN_ID, GAIA_BIN, gaiaEnvironment, type BenchProcess, whileRunning } from "./lib/gaia-process.js";
import { median, sleep } from "./lib/numbers.js";
import type { WatchedProcesses } from "./lib/watched-processes.js";
import { spawn } from "node:child_process";

export interface KillToAlertResult {
  probeEveryMs: number;
  sustain: number;
  /** probe.every × (sustain + 1). */
  boundMs: number;
  /** Each kill → alert accepted, ms. */
  latenciesMs: number[];
  medianMs: number;
  maxMs: number;
}

/**
 * Kills `kills` watched processes one after the other, each at a random moment of the probe
 * period (a real failure does not wait for the probe), and times each down alert.
 */
export async function measureKillToAlert(options: {
  gaia: BenchProcess;
  fake: FakeTelegram;
  watched: WatchedProcesses;
  probeEveryMs: number;
  sustain: number;
  kills: number;
}): Promise<KillToAlertResult> {
  const { gaia, fake, watched, probeEveryMs, sustain } = options;
  const boundMs = probeEveryMs * (sustain + 1);
  const latenciesMs: number[] = [];
  for (const name of watched.names.slice(0, options.kills)) {
    await sleep(Math.random() * probeEveryMs);
    const killedAt = await watched.kill(name);
    const isDownAlert = (call: CallRecord) =>
      call.ok && call.at >= killedAt && typeof call.params.text === "string" && call.params.text.includes("🔴") && call.params.text.includes(name);
    const alert = await whileRunning(gaia, fake.waitForCall("sendMessage", isDownAlert, boundMs + 30_000), `the down alert of ${name}`);
    latenciesMs.push(alert.at - killedAt);
  }
  return { probeEveryMs, sustain, boundMs, latenciesMs, medianMs: median(latenciesMs), maxMs: Math.max(...latenciesMs) };
}

export interface ApproveToExitResult {
  /** Each Approve press → `gaia approve` exit, ms. */
  latenciesMs: number[];
  medianMs: number;
  maxMs: number;
}

/** Runs `gaia approve` `requests` times; each time presses Approve and times the CLI's exit. */
export async function measureApproveToExit(options: { gaia: BenchProcess; fake: FakeTelegram; home: string; requests: number }): Promise<ApproveToExitResult> {
  const { gaia, fake, home } = options;
  const latenciesMs: number[] = [];
  for (let i = 1; i <= options.requests; i++) {
    const title = `Benchmark approval ${i} of ${options.requests}`;
    const cli: ChildProcess = spawn(process.execPath, [GAIA_BIN, "approve", title, "--timeout", "2m"], {
      cwd: home,
      env: gaiaEnvironment(home),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    cli.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    cli.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(cli, "exit").then(([code]) => ({ code: code as number | null, at: Date.now() }));
    const request = await whileRunning(gaia, fake.waitForMessage(title, { timeoutMs: 30_000 }), `the approval request "${title}"`);
    const approve = request.buttons.find((button) => button.text.includes("Approve") && button.callbackData);
    if (!approve) throw new Error(`the approval request has no Approve button: ${JSON.stringify(request.buttons)}`);
    // The CLI must be waiting on its long poll before the press, or the figure would include its start-up.
    await sleep(500);
    const pressedAt = Date.now();
    fake.pressButton({ chatId: request.chatId, messageId: request.messageId, fromId: ADMIN_ID, data: approve.callbackData! });
    const exit = await exited;
    if (exit.code !== 0) throw new Error(`gaia approve exited with ${exit.code}, expected 0 (approved):\n${output}`);
    latenciesMs.push(exit.at - pressedAt);
  }
  return { latenciesMs, medianMs: median(latenciesMs), maxMs: Math.max(...latenciesMs) };
}
