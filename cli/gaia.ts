#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { EXIT } from "./exit-codes.js";
import { writeLine, type CliIo } from "./io.js";

type Command = (io: CliIo) => Promise<number>;

/**
 * Every `gaia` subcommand (CONTRACT section 4). Each is imported when it runs, so that `gaia run`
 * (started for every scheduled job) does not load grammY, TypeORM and fastify for nothing.
 */
const COMMANDS: Record<string, { run: Command; summary: string }> = {
  start: { run: async (io) => (await import("./commands/start.js")).startCommand(io), summary: "run the monitor, the bot, the jobs and the local API" },
  check: { run: async (io) => (await import("./commands/check.js")).checkCommand(io), summary: "validate config and environment, probe once, check Telegram and GitHub [--offline]" },
  migrate: { run: async (io) => (await import("./commands/migrate.js")).migrateCommand(io), summary: "apply pending gaia.db migrations" },
  approve: { run: async (io) => (await import("./commands/approve.js")).approveCommand(io), summary: "ask the admins in Telegram to approve TITLE and wait: exit 0 approved, 1 denied, 3 expired" },
  status: { run: async (io) => (await import("./commands/status.js")).statusCommand(io), summary: "the running monitor's status, from its local API [--json]" },
  run: { run: async (io) => (await import("./commands/run.js")).runCommand(io), summary: "run a scheduled job with its secrets and report the run: gaia run TASK -- COMMAND [ARGS...]" },
};

const USAGE = [
  "Usage: gaia COMMAND [ARGS]",
  "",
  ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(9)} ${summary}`),
  "",
  "Home folder: $GAIA_HOME, or the current directory. See README.md.",
].join("\n");

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
