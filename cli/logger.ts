import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import pino, { type Logger } from "pino";
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
  /** Rotate at this size ("10m", "512k", or bytes); keep this many older files beside the current one. */
  maxFileSize?: string;
  maxFiles?: number;
}

/**
 * Structured JSON log lines to stdout and to size-rotated files in `.tmp/logs/`. Every line passes
 * through the redactor before it is written, whatever a caller put in it. The files are written
 * in this thread, synchronously (a monitor logs a few lines a minute), by `RotatingLogFile`.
 */
export async function createLogger(options: LoggerOptions): Promise<Logger> {
  mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
  let logger: Logger | undefined;
  const file = new RotatingLogFile({
    dir: options.logDir,
    maxBytes: parseSize(options.maxFileSize ?? "10m"),
    keepOlder: options.maxFiles ?? 5,
    // Not from inside the write that succeeded: the warning is a line of its own.
    onWritableAgain: (droppedLines) =>
      setImmediate(() => logger?.warn({ droppedLines }, "the log file can be written again (it could not: disk full?)")),
  });
  const streams: pino.StreamEntry[] = [{ level: options.level, stream: file }];
  const stdout = options.toStdout ? pino.destination({ fd: 1, sync: true }) : undefined;
  if (stdout) streams.push({ level: options.level, stream: stdout });
  const redact = options.redact ?? createRedactor();
  logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => redact(line) },
    },
    pino.multistream(streams),
  );
  // A closed or full standard output (a pipe whose reader died, a file on a full disk) loses lines, not the monitor.
  stdout?.on("error", () => undefined);
  // A line logged after this (a job or the poller finishing late in the shutdown) is dropped.
  (logger as Logger & { closeFiles?: () => Promise<void> }).closeFiles = async () => file.close();
  return logger;
}

/** Log lines kept in memory while the log file cannot be written (a full disk). */
const UNWRITTEN_MAX_BYTES = 256 * 1024;

/** gaia.1.log, gaia.2.log…: the highest number is the current file. */
const LOG_FILE = /^gaia\.(\d+)\.log$/;

/**
 * The log files: lines appended to `gaia.N.log` until it reaches `maxBytes`, then to
 * `gaia.N+1.log` (from the first line after it reached the size); the current file and the `keepOlder` newest before it are kept, whichever run
 * wrote them (a restart continues the highest-numbered file). Files are 0600.
 *
 * A file that cannot be written (ENOSPC on a full disk, EIO) must not stop the monitor: the lines
 * wait in memory, up to UNWRITTEN_MAX_BYTES, and go out before the next line once a write
 * succeeds again; beyond the bound they are dropped, and how many is told then.
 */
class RotatingLogFile {
  private fd: number | undefined;
  private number: number;
  private size = 0;
  private unwritten: string[] = [];
  private unwrittenBytes = 0;
  private dropped = 0;
  private failing = false;

  constructor(private readonly options: { dir: string; maxBytes: number; keepOlder: number; onWritableAgain: (droppedLines: number) => void }) {
    this.number = Math.max(1, ...this.numbers());
    this.open();
    this.removeOld();
  }

  /** pino's stream interface. */
  write(line: string): boolean {
    if (this.fd === undefined) return true;
    // Before the line, not after the one that filled the file: no empty file is left current.
    if (this.size >= this.options.maxBytes) this.rotate();
    if (this.unwritten.length > 0 && !this.flushUnwritten()) {
      this.keep(line);
      return true;
    }
    try {
      this.writeAll(line);
    } catch {
      this.failing = true;
      this.keep(line);
      return true;
    }
    if (this.failing) {
      this.failing = false;
      const lost = this.dropped;
      this.dropped = 0;
      this.options.onWritableAgain(lost);
    }
    return true;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flushUnwritten();
    try {
      closeSync(this.fd);
    } catch {
      // Closing is the end anyway.
    }
    this.fd = undefined;
  }

  private open(): void {
    this.fd = openSync(this.path(this.number), "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private path(number: number): string {
    return join(this.options.dir, `gaia.${number}.log`);
  }

  private numbers(): number[] {
    return readdirSync(this.options.dir).flatMap((name) => {
      const match = LOG_FILE.exec(name);
      return match ? [Number(match[1])] : [];
    });
  }

  private writeAll(line: string): void {
    const buffer = Buffer.from(line);
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd!, buffer, offset);
    this.size += buffer.length;
  }

  private keep(line: string): void {
    if (this.unwrittenBytes + line.length > UNWRITTEN_MAX_BYTES) {
      this.dropped++;
      return;
    }
    this.unwritten.push(line);
    this.unwrittenBytes += line.length;
  }

  private flushUnwritten(): boolean {
    while (this.unwritten.length > 0) {
      try {
        this.writeAll(this.unwritten[0]!);
      } catch {
        return false;
      }
      this.unwrittenBytes -= this.unwritten.shift()!.length;
    }
    return true;
  }

  /** On to the next file; should it not open (a full disk), the current one goes on and the next write tries again. */
  private rotate(): void {
    const previous = this.fd;
    try {
      this.fd = openSync(this.path(this.number + 1), "a", 0o600);
    } catch {
      return;
    }
    this.number++;
    this.size = fstatSync(this.fd).size;
    try {
      if (previous !== undefined) closeSync(previous);
    } catch {
      // The old file is done with either way.
    }
    this.removeOld();
  }

  /** Removes the files beyond the limit, oldest first, this run's and earlier runs' alike. */
  private removeOld(): void {
    try {
      const older = this.numbers().filter((n) => n < this.number).sort((a, b) => b - a);
      for (const number of older.slice(this.options.keepOlder)) unlinkSync(this.path(number));
    } catch {
      // Removing old logs is housekeeping: the next rotation tries again.
    }
  }
}

/** "10m", "512k", "1g" or a number of bytes. */
function parseSize(size: string): number {
  const match = /^(\d+)\s*([kmg]?)b?$/i.exec(size.trim());
  if (!match) throw new Error(`log file size: expected a size such as 10m or 512k, got "${size}"`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(match[1]) * unit;
}

/** Flushes and closes the log files of a logger made by `createLogger`. */
export async function closeLogger(logger: Logger): Promise<void> {
  await (logger as Logger & { closeFiles?: () => Promise<void> }).closeFiles?.();
}

/** A logger that writes nothing, for one-shot commands and tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
