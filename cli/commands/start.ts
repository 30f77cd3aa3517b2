import { parseArgs } from "node:util";
import { ConfigError } from "../../config/config-error.js";
import { loadCachedConfig } from "../../config/cached-config.js";
import { EXIT } from "../exit-codes.js";
import { writeLine, type CliIo } from "../io.js";
import { startMonitor, type StopOutcome } from "../main.js";
import { AlreadyRunning } from "../pidfile.js";
import { DatabaseProblem } from "../database-problem.js";
import { databaseTrouble } from "../../entities/database-trouble.js";
import { withConfigErrors } from "../report-config-error.js";

const STOP_DEADLINE_MS = 10_000;

/**
 * `gaia start [--console]`: runs the monitor in the foreground until SIGTERM or SIGINT.
 * Without TELEGRAM_BOT_TOKEN it runs in console mode on a terminal, and exits 2 elsewhere.
 */
export async function startCommand(io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...io.argv], options: { console: { type: "boolean" } }, strict: true });
  const onTerminal = Boolean(values.console) || Boolean(io.stdin.isTTY && io.stdout.isTTY);
  return withConfigErrors(io.stderr, async () => {
    // The validated copy of an unchanged gaia.yml: the YAML parser and the schema stay unloaded,
    // and the first long poll goes out sooner (README, Benchmarks).
    const config = await loadCachedConfig({
      processEnv: io.processEnv,
      cwd: io.cwd,
      // Without a token, a missing gaia.yml is fine on a terminal (console mode on a fresh clone).
      allowMissingSettings: (env) => !env?.telegramBotToken,
    });
    if (!config.env.telegramBotToken && !onTerminal) {
      throw new ConfigError([
        "environment TELEGRAM_BOT_TOKEN: not set; put it in .private/.env (see .private.example/.env), or run `gaia start` on a terminal for console mode",
        ...(config.usingDefaults ? ["gaia.yml: not found; copy gaia.example.yml to gaia.yml and list your Telegram user id under telegram.admins"] : []),
      ]);
    }
    const armStopDeadline = (): void => {
      setTimeout(() => {
        writeLine(io.stderr, `gaia did not stop within ${STOP_DEADLINE_MS / 1000}s; exiting anyway`);
        process.exit(EXIT.failure);
      }, STOP_DEADLINE_MS).unref();
    };
    // Listening from before the start: a signal during start-up (systemctl stop while gaia is still
    // opening gaia.db or loading code; the start notice may already be in the chat) is a clean stop
    // too: start-up finishes, then everything stops in order and gaia exits 0. Should start-up not
    // finish within the stop deadline, gaia exits 1 rather than linger.
    const signalled = new Promise<StopOutcome>((resolve) => {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.once(signal, () => {
          resolve({ reason: signal, exitCode: EXIT.ok });
          armStopDeadline();
        });
      }
    });
    let monitor: Awaited<ReturnType<typeof startMonitor>>;
    try {
      monitor = await startMonitor(config, config.env.telegramBotToken ? { kind: "telegram" } : { kind: "console", io });
    } catch (error) {
      if (error instanceof AlreadyRunning) {
        writeLine(io.stderr, error.message);
        return EXIT.failure;
      }
      if (error instanceof DatabaseProblem) {
        for (const line of error.lines) writeLine(io.stderr, line);
        return EXIT.failure;
      }
      if (databaseTrouble(error) === "full") {
        // Not even the pidfile or the first rows fit: say so plainly (under systemd, Restart= tries again).
        writeLine(io.stderr, `gaia cannot start: the disk of its home folder is full (${error instanceof Error ? error.message : String(error)}).`);
        writeLine(io.stderr, `What to do: free some space on it (df -h ${config.paths.home} shows how much is left), then start gaia again.`);
        return EXIT.failure;
      }
      throw error;
    }
    const outcome = await Promise.race([signalled, monitor.stopped]);
    armStopDeadline();
    await monitor.stop();
    if (outcome.message) writeLine(io.stderr, outcome.message);
    return outcome.exitCode;
  });
}
