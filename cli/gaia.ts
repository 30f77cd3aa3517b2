#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { EXIT } from "./exit-codes.js";
import { writeLine, type CliIo } from "./io.js";
import { installSourceMappedStacks } from "./source-mapped-stacks.js";

// Stack traces name the TypeScript files: dist/ is one bundle whose source maps cover gaia's own
// code (scripts/bundle.mjs). The maps are read when a stack trace is first formatted, not at start.
installSourceMappedStacks(new URL("..", import.meta.url));

type Command = (io: CliIo) => Promise<number>;

/**
 * Every `gaia` subcommand (CONTRACT section 4). Each is imported when it runs, so that `gaia run`
 * (started for every scheduled job) does not load grammY and TypeORM for nothing.
 */
const COMMANDS: Record<string, { run: Command; summary: string; usage: string }> = {
  start: {
    run: async (io) => (await import("./commands/start.js")).startCommand(io),
    summary: "run the monitor, the bot, the jobs and the local API",
    usage: "Usage: gaia start [--console]\n\nRuns the monitor, the bot, the jobs and the local API in the foreground until SIGTERM or SIGINT.\nWithout TELEGRAM_BOT_TOKEN it runs in console mode on a terminal (--console forces it).\nExit codes: 0 stopped cleanly, 1 failure, 2 bad config or environment.",
  },
  check: {
    run: async (io) => (await import("./commands/check.js")).checkCommand(io),
    summary: "validate config and environment, probe once, check Telegram and GitHub [--offline]",
    usage: "Usage: gaia check [--offline]\n\nValidates .private/.env and gaia.yml, opens gaia.db, probes once and shows what each service matched,\nthen checks the Telegram token (getMe) and the GitHub identity (skipped with --offline).\nExit codes: 0 all good, 1 a check failed, 2 bad config.",
  },
  migrate: {
    run: async (io) => (await import("./commands/migrate.js")).migrateCommand(io),
    summary: "apply pending gaia.db migrations",
    usage: "Usage: gaia migrate\n\nApplies pending database migrations to gaia.db (gaia start does it too).\nExit codes: 0 done, 1 failure.",
  },
  approve: {
    run: async (io) => (await import("./commands/approve.js")).approveCommand(io),
    summary: "ask the admins in Telegram to approve TITLE and wait: exit 0 approved, 1 denied, 3 expired",
    usage: "Usage: gaia approve TITLE [--details TEXT] [--timeout DURATION] [--requester NAME]\n\nAsks the admins in Telegram to approve TITLE and waits for the answer.\nExit codes: 0 approved, 1 denied, 3 expired, 4 no monitor running, 2 usage or configuration.\nExample: gaia approve \"Push to main\" --timeout 10m && git push",
  },
  status: {
    run: async (io) => (await import("./commands/status.js")).statusCommand(io),
    summary: "the running monitor's status, from its local API [--json]",
    usage: "Usage: gaia status [--json]\n\nPrints the running monitor's status (what /status shows), or its JSON with --json.\nExit codes: 0, or 4 when no monitor runs.",
  },
  run: {
    run: async (io) => (await import("./commands/run.js")).runCommand(io),
    summary: "run a scheduled job with its secrets and report the run: gaia run TASK -- COMMAND [ARGS...]",
    usage: "Usage: gaia run TASK -- COMMAND [ARGS...]   (TASK is a name under tasks: in gaia.yml)\n\nRuns COMMAND with the variables of .private/.env, passes its output and signals through, and reports\nthe run to the monitor (or keeps the report under .tmp/spool/ when none runs).\nExit codes: the command's own; 2 bad config or unknown task (the command is not run).",
  },
};

const USAGE = [
  "Usage: gaia COMMAND [ARGS]",
  "",
  ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(9)} ${summary}`),
  "",
  "gaia COMMAND --help shows a command's usage.",
  "Home folder: $GAIA_HOME, or the current directory. See README.md.",
].join("\n");

/**
 * Whether the arguments ask for a command's help. It is answered here, before the command's
 * module is even loaded, so that `--help` never does anything else (reads config, creates gaia.db).
 * For `gaia run` only the first argument counts: after the task name come the job's own arguments.
 */
function asksForHelp(command: string, args: readonly string[]): boolean {
  const isHelp = (arg: string | undefined) => arg === "--help" || arg === "-h";
  if (isHelp(args[0])) return true;
  if (command === "run") return false;
  const ownArgs = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  return ownArgs.some(isHelp);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const io: CliIo = { argv: rest, processEnv: process.env, cwd: process.cwd(), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  if (name === "--version" || name === "-v") {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    writeLine(io.stdout, pkg.version);
    return EXIT.ok;
  }
  if (!name || name === "help" || name === "--help" || name === "-h") {
    writeLine(name ? io.stdout : io.stderr, USAGE);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    writeLine(io.stderr, `gaia: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (asksForHelp(name, rest)) {
    writeLine(io.stdout, command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(io);
  } catch (error) {
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      writeLine(io.stderr, `gaia ${name}: ${error.message}`);
      return EXIT.usage;
    }
    writeLine(io.stderr, `gaia ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.failure;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Open handles (a pending fetch, a timer) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error) => {
    process.stderr.write(`gaia: ${String(error)}\n`);
    process.exit(EXIT.failure);
  },
);
