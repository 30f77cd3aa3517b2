import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import type { Readable } from "node:stream";
import { OutputTail } from "./output-tail.js";

/** The signals `gaia run` passes on to its job, as a supervisor such as `npm run` or tini does. */
export const FORWARDED_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/** How long a job stopped by its `timeout` gets between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 5_000;

/** How long to wait for the last output once the job has exited (a background child may hold the pipes). */
const DRAIN_AFTER_EXIT_MS = 500;

export interface LaunchOptions {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
  /** Where the job's output goes, unchanged (gaia's own standard output and error). */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Stop the job after this long (SIGTERM to its process group, then SIGKILL after `killGraceMs`). */
  timeoutMs?: number;
  killGraceMs?: number;
  /** Emits the signals to forward; `process` in the CLI. */
  signals: NodeJS.EventEmitter;
  /**
   * Gaia runs on a terminal: SIGINT (Ctrl-C) and SIGHUP reach the whole foreground process
   * group, the job included, so passing them on would deliver them twice. Gaia still catches
   * them (to report the run) but forwards only SIGTERM.
   */
  onTerminal?: boolean;
  /** Shown in gaia's own messages, e.g. the task name. */
  label: string;
}

/** How a run ended. */
export interface RunOutcome {
  /** The job's exit code, 128 + the signal number when a signal ended it, 126/127 when it could not start. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  /** The combined output as it arrived, for the report's tail. */
  output: OutputTail;
}

/**
 * Runs a job the way a shell would, while watching it: standard input is inherited, standard
 * output and error go through pipes so that their end can be kept for the report, and every byte
 * is forwarded unchanged, with back-pressure. SIGTERM, SIGINT and SIGHUP received by gaia are sent
 * to the job (on a terminal, only SIGTERM: see `onTerminal`). The promise settles when the job
 * has exited; it never rejects for the job's sake.
 */
export async function launchTask(options: LaunchOptions): Promise<RunOutcome> {
  const output = new OutputTail();
  const startedAt = new Date();
  const started = performance.now();
  const pendingSignals: NodeJS.Signals[] = [];
  let child: ChildProcess | undefined;
  const forwarded = new Set<NodeJS.Signals>(options.onTerminal ? ["SIGTERM"] : FORWARDED_SIGNALS);
  // Off a terminal (cron, a systemd timer) the job gets a process group of its own, so that a
  // timeout or a forwarded signal reaches the children a shell script started too, not only the
  // script. On a terminal the job stays in the terminal's foreground group: it may read the
  // terminal, and Ctrl-C reaches all of it from there.
  const ownGroup = !options.onTerminal;
  const signalJob = (signal: NodeJS.Signals) => {
    if (child?.pid === undefined) return;
    if (ownGroup) {
      try {
        process.kill(-child.pid, signal);
        return;
      } catch {
        // the group is gone already (or never formed): the job itself, below
      }
    }
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const forward = (signal: NodeJS.Signals) => {
    if (!forwarded.has(signal)) return;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) signalJob(signal);
    else if (!child) pendingSignals.push(signal);
  };
  const listeners = FORWARDED_SIGNALS.map((signal) => {
    const listener = () => forward(signal);
    options.signals.on(signal, listener);
    return () => options.signals.off(signal, listener);
  });

  try {
    child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["inherit", "pipe", "pipe"],
      detached: ownGroup,
    });
  } catch (error) {
    // Synchronous failures (an argument with a NUL byte...) are reported like a failed start.
    for (const remove of listeners) remove();
    return cannotStart(options, output, startedAt, started, error as NodeJS.ErrnoException);
  }

  const spawnError = new Promise<NodeJS.ErrnoException>((resolve) => child!.once("error", resolve));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child!.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise<void>((resolve) => child!.once("close", () => resolve()));
  for (const signal of pendingSignals.splice(0)) forward(signal);
  pass(child.stdout!, options.stdout, (chunk) => output.push("stdout", chunk));
  pass(child.stderr!, options.stderr, (chunk) => output.push("stderr", chunk));

  let timedOut = false;
  let timedOutAt = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const timeoutTimer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          timedOutAt = performance.now();
          const message = `gaia run: ${options.label} took longer than its timeout of ${Math.round(options.timeoutMs! / 1000)}s; stopping it (SIGTERM)`;
          options.stderr.write(`${message}\n`);
          output.note(message);
          signalJob("SIGTERM");
          // The whole group, even when the job itself has exited: its children must not outlive the timeout.
          killTimer = setTimeout(() => signalJob("SIGKILL"), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
        }, options.timeoutMs)
      : undefined;

  try {
    const first = await Promise.race([exited, spawnError.then((error) => ({ error }))]);
    if (timedOut && !("error" in first) && ownGroup) {
      // Stopped by its timeout: what is left of its group (a script's children) gets the rest of
      // the grace to exit after SIGTERM, then SIGKILL, before the run is reported.
      clearTimeout(killTimer);
      const killAt = timedOutAt + (options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      while (groupAlive(child.pid!) && performance.now() < killAt) await new Promise((resolve) => setTimeout(resolve, 50));
      if (groupAlive(child.pid!)) signalJob("SIGKILL");
    }
    if ("error" in first) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      return cannotStart(options, output, startedAt, started, first.error);
    }
    // The last output may still be in the pipes; a background child that inherited them may keep
    // them open for good, so wait only a moment and then stop reading.
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, DRAIN_AFTER_EXIT_MS)))]);
    clearTimeout(drainTimer);
    child.stdout?.destroy();
    child.stderr?.destroy();
    const { code, signal } = first;
    return {
      exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
      signal,
      timedOut,
      startedAt,
      endedAt: new Date(),
      durationMs: Math.round(performance.now() - started),
      output,
    };
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(killTimer);
    for (const remove of listeners) remove();
  }
}

/**
 * Forwards a job's stream to gaia's own, byte for byte, pausing the job's pipe while the
 * destination is full. When the destination breaks (`gaia run … | head -1`), the job's pipe is
 * closed as well, so the job sees the broken pipe it would have seen without gaia in between.
 */
function pass(from: Readable, to: NodeJS.WritableStream, observe: (chunk: Buffer) => void): void {
  let broken = false;
  const onError = () => {
    broken = true;
    from.destroy();
  };
  // Kept for good: an EPIPE reported after the job ended must not crash gaia before it reports.
  to.on("error", onError);
  from.on("data", (chunk: Buffer) => {
    observe(chunk);
    if (broken) return;
    if (!to.write(chunk)) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  });
}

function cannotStart(
  options: LaunchOptions,
  output: OutputTail,
  startedAt: Date,
  started: number,
  error: NodeJS.ErrnoException,
): RunOutcome {
  // The shell's codes: 127 "command not found", 126 "found but cannot be run".
  const exitCode = error.code === "ENOENT" ? 127 : 126;
  const reason = error.code === "ENOENT" ? "no such command" : error.code === "EACCES" ? "permission denied" : error.message;
  const message = `gaia run: cannot run ${options.command} for ${options.label}: ${reason}`;
  options.stderr.write(`${message}\n`);
  output.note(message);
  return {
    exitCode,
    signal: null,
    timedOut: false,
    startedAt,
    endedAt: new Date(),
    durationMs: Math.round(performance.now() - started),
    output,
  };
}

/** Whether any process of the group led by `pgid` still exists (zombies included until reaped). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
