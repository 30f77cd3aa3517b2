import type { FakeTelegram } from "../fakes/telegram.js";
import { startGaia } from "./gaia-process.js";

export interface ApprovalLatencyOptions {
  /** The fake Telegram the running monitor of `home` talks to. */
  tg: FakeTelegram;
  /** A gaia home whose monitor is running (`gaia start`), with `telegram.chat` = `chatId`. */
  home: string;
  chatId: number;
  /** An admin of that monitor (`telegram.admins`). */
  adminId: number;
  /** Extra environment for `gaia approve` (PATH, HOME and GAIA_HOME are set already). */
  env?: Record<string, string>;
}

/**
 * One measurement of "an admin presses Approve → `gaia approve` exits": starts `gaia approve`,
 * waits until its request is in the chat and the command is long-polling, then presses Approve
 * and times until the process has exited (0). The benchmark calls it in a loop; e2e tests use it
 * to keep the figure honest.
 */
export async function measureApprovalPressToExit(options: ApprovalLatencyOptions): Promise<{ pressToExitMs: number; exitCode: number }> {
  const title = `Latency probe ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const cli = startGaia(["approve", title, "--timeout", "5m", "--requester", "benchmark"], { home: options.home, ...(options.env ? { env: options.env } : {}) });
  try {
    const message = await options.tg.waitForMessage((m) => m.plainText.includes(title) && m.buttons.length === 2, { chatId: options.chatId, timeoutMs: 15_000 });
    await cli.waitForOutput("Waiting for a decision", 15_000);
    // The first long poll leaves right after that line; give it a moment to reach the monitor.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const approve = message.buttons.find((b) => b.text.includes("Approve"))!.callbackData!;
    const pressedAt = performance.now();
    options.tg.pressButton({ chatId: options.chatId, messageId: message.messageId, fromId: options.adminId, data: approve });
    const exitCode = await cli.exited;
    return { pressToExitMs: performance.now() - pressedAt, exitCode };
  } finally {
    await cli.stop("SIGKILL");
  }
}
