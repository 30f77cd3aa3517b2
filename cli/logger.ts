import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import pinoRoll from "pino-roll";
import { createRedactor, type Redact } from "../config/redact.js";
import type { LogLevel } from "../config/types.js";

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  logDir: string;
  /** Also write to standard output (not in console mode, where the terminal is the chat). */
  toStdout: boolean;
  /** The redactor every line passes through (default: the patterns only, no known values). */
  redact?: Redact;
  /** Rotate at this size; keep this many files. */
  maxFileSize?: string;
  maxFiles?: number;
}

/**
 * Structured JSON log lines to stdout and to size-rotated files in `.tmp/logs/`. Every line passes
 * through the redactor before it is written, whatever a caller put in it. The file stream runs
 * in this thread (no transport worker), which keeps the monitor's memory small.
 */
export async function createLogger(options: LoggerOptions): Promise<Logger> {
  mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
  const file = await pinoRoll({
    file: join(options.logDir, "gaia"),
    extension: ".log",
    size: options.maxFileSize ?? "10m",
    // removeOtherLogFiles: otherwise the limit counts only this process's files, and every restart leaves more behind.
    limit: { count: options.maxFiles ?? 5, removeOtherLogFiles: true },
    mkdir: true,
    // Synchronous writes: a monitor logs a few lines a minute, and pino-roll only rotates by size
    // on the "drain" that asynchronous SonicBoom emits under backpressure, i.e. almost never.
    sync: true,
    // Lines that cannot be written (a full disk) wait here, up to this much; later ones are dropped.
    maxLength: UNWRITTEN_MAX_BYTES,
  });
  const streams: pino.StreamEntry[] = [{ level: options.level, stream: file }];
  const stdout = options.toStdout ? pino.destination({ fd: 1, sync: true }) : undefined;
  if (stdout) streams.push({ level: options.level, stream: stdout });
  const redact = options.redact ?? createRedactor();
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => redact(line) },
    },
    pino.multistream(streams),
  );
  dropLinesOnWriteErrors(file, logger);
  // A closed or full standard output (a pipe whose reader died, a file on a full disk) loses lines, not the monitor.
  stdout?.on("error", () => undefined);
  (logger as Logger & { closeFiles?: () => Promise<void> }).closeFiles = () =>
    new Promise<void>((resolve) => {
      // SonicBoom signals the end with "close"; the timer keeps a stuck disk from holding up exit.
      const timer = setTimeout(resolve, 1000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      file.once("close", done);
      file.once("finish", done);
      file.once("error", done);
      file.end();
      // A line logged after this (a job or the poller finishing late in the shutdown) is dropped:
      // a closed SonicBoom would throw "SonicBoom destroyed" from the caller and fail the exit.
      (file as unknown as { write: (line: string) => boolean }).write = () => true;
    });
  return logger;
}

/** Log lines kept in memory while the log file cannot be written (a full disk). */
const UNWRITTEN_MAX_BYTES = 256 * 1024;

/**
 * A log file that cannot be written (ENOSPC on a full disk, EIO) must not stop the monitor: a
 * write error without a listener would be thrown from whatever line logged it. The lines wait in
 * SonicBoom's bounded buffer and go out once a write succeeds again; beyond the bound they are
 * dropped, and how many is logged then.
 */
function dropLinesOnWriteErrors(file: NodeJS.EventEmitter, logger: Logger): void {
  let failing = false;
  let dropped = 0;
  file.on("error", () => {
    failing = true;
  });
  file.on("drop", () => {
    dropped++;
  });
  file.on("write", () => {
    if (!failing) return;
    failing = false;
    const lost = dropped;
    dropped = 0;
    // Not from inside the stream's own write.
    setImmediate(() => logger.warn({ droppedLines: lost }, "the log file can be written again (it could not: disk full?)"));
  });
}

/** Flushes and closes the log files of a logger made by `createLogger`. */
export async function closeLogger(logger: Logger): Promise<void> {
  await (logger as Logger & { closeFiles?: () => Promise<void> }).closeFiles?.();
}

/** A logger that writes nothing, for one-shot commands and tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
