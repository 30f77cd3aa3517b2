import { randomUUID } from "node:crypto";
import { isatty } from "node:tty";
import { readApiToken } from "../../api/api-token.js";
import { ConfigError } from "../../config/config-error.js";
import { createRedactor, secretValuesOf } from "../../config/redact.js";
import { didYouMean } from "../../config/did-you-mean.js";
import type { Config } from "../../config/types.js";
import { launchTask } from "../../tasks/launch-task.js";
import { identifyProcess } from "../../monitor/process-identity.js";
import { loadCachedConfig } from "../../config/cached-config.js";
import { RunReporter } from "../../tasks/run-reporter.js";
import { buildTaskEnvironment } from "../../tasks/task-environment.js";
import { EXIT } from "../exit-codes.js";
import { writeLine, type CliIo } from "../io.js";
import { withConfigErrors } from "../report-config-error.js";

const USAGE = "Usage: gaia run TASK -- COMMAND [ARGS...]   (TASK is a name under tasks: in gaia.yml)";

/**
 * `gaia run TASK -- COMMAND [ARGS…]`: the launcher for scheduled jobs. Loads `.private/.env` with
 * the same checks as `gaia start`, runs the command with its variables (only those named by the
 * task's `env:`, when set), passes the standard streams and signals through, and reports the run
 * to the monitor, or keeps the report under `.tmp/spool/` when none runs. Exits with the command's
 * own code; 2 without running it when the config is bad or the task unknown.
 *
 * This module is on the path of every scheduled job, so it imports nothing heavy: no grammY or
 * TypeORM, and the YAML parser and schema only when gaia.yml changed.
 */
export async function runCommand(io: CliIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  const [taskName, ...rest] = io.argv;
  const command = rest[0] === "--" ? rest.slice(1) : rest;
  if (!taskName || taskName.startsWith("-") || command.length === 0) {
    writeLine(io.stderr, taskName === "--help" || taskName === "-h" ? USAGE : `gaia run: give a task and a command\n${USAGE}`);
    return taskName === "--help" || taskName === "-h" ? EXIT.ok : EXIT.usage;
  }
  return withConfigErrors(io.stderr, async () => {
    const config = await loadCachedConfig({ processEnv: io.processEnv, cwd: io.cwd });
    const task = config.settings.tasks.find((t) => t.name === taskName);
    if (!task) throw new ConfigError([unknownTask(taskName, config)]);
    const apiToken = readApiToken(config);
    const token = apiToken?.reveal();

    const { env, missing } = buildTaskEnvironment({ task, dotenv: config.env.dotenv, processEnv: io.processEnv });
    for (const name of missing) {
      writeLine(io.stderr, `gaia run: ${task.name}: ${name} (named in its env:) is set neither in .private/.env nor in the environment`);
    }

    const reporter = new RunReporter({ host: config.settings.api.host, port: config.settings.api.port, token, spoolDir: config.paths.spoolDir });
    const runId = randomUUID();
    const startedAt = new Date();
    // The start report travels while the job runs: the job never waits for the monitor.
    // Who runs the job: the monitor closes the run as lost if this process dies without reporting.
    const launcher = identifyProcess(process.pid);
    const startReport = reporter.start({ task: task.name, event: "start", runId, startedAt: startedAt.toISOString(), ...(launcher ? { launcher } : {}) });
    const outcome = await launchTask({
      command: command[0],
      args: command.slice(1),
      env,
      cwd: io.cwd,
      stdout: io.stdout,
      stderr: io.stderr,
      timeoutMs: task.timeoutMs,
      signals,
      onTerminal: [0, 1, 2].some((fd) => isatty(fd)),
      label: task.name,
    });
    await startReport;

    const ended = await reporter.end({
      task: task.name,
      event: "end",
      runId,
      exitCode: outcome.exitCode,
      durationMs: outcome.durationMs,
      outputTail: outcome.output.tail(createRedactor(secretValuesOf(config.env, apiToken))),
      startedAt: outcome.startedAt.toISOString(),
      endedAt: outcome.endedAt.toISOString(),
      ...(outcome.timedOut ? { timedOut: true } : {}),
    });
    if (ended.kind === "lost") writeLine(io.stderr, `gaia run: ${task.name}: this run could not be reported: ${ended.reason}`);
    else if (ended.kind === "spooled" && /answered (401|404)/.test(ended.reason)) {
      // Not a monitor that is down (which the spool is for) but one that will not take it as is.
      const fix = /answered 401/.test(ended.reason)
        ? "when the token matches (GAIA_API_TOKEN must be the running monitor's, or unset to use .private/api-token)"
        : "when it knows the task (restart it after editing gaia.yml)";
      writeLine(io.stderr, `gaia run: ${task.name}: ${ended.reason}; the report is kept in .tmp/spool/ for the monitor to take ${fix}`);
    }
    return outcome.exitCode;
  });
}

function unknownTask(name: string, config: Config): string {
  const names = config.settings.tasks.map((t) => t.name);
  const guess = didYouMean(name, names);
  return (
    `gaia run: no task named "${name}" in gaia.yml` +
    (guess ? `; did you mean "${guess}"?` : "") +
    (names.length ? ` (tasks: ${names.join(", ")})` : "; add it under tasks: (see gaia.example.yml)") +
    "; the command was not run"
  );
}
