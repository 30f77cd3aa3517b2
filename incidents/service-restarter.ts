/**
 * Runs a service's `restart` command for the Restart button: once at a time per service, with a
 * timeout, and audited before and after. The command's output goes to a file under `.tmp/`
 * rather than a pipe, because a restart command often leaves the service running in the
 * background holding its stdout; with a pipe we would wait for the service to exit, and closing
 * the pipe could kill it with EPIPE. Once the command exits, the file is rewritten redacted (and
 * cut to its last 64 KiB): it opens in append mode, so a service still writing to it appends after
 * the rewrite instead of leaving a hole.
 */
import { spawn } from "node:child_process";
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createRedactor, type Redact } from "../config/redact.js";
import { DEFAULT_SYSTEM_BUS_ADDRESS, type ServiceConfig } from "../config/types.js";
import type { AuditTrail } from "../entities/audit-trail.js";

/** How a restart ended. */
export interface RestartResult {
  service: string;
  /** The exit code, or null when it was killed (timeout) or could not start. */
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The end of its output, token-shaped strings and known secrets redacted. */
  outputTail: string;
  /** Set when the command could not be started at all. */
  error?: string;
}

/** How much of a restart's output its file keeps (the end). */
const KEPT_OUTPUT_BYTES = 64 * 1024;

/** A restart's result with what the audit trail records of it. */
type RestartOutcome = { result: RestartResult; message: string; details: Record<string, unknown> };

/** A restart of this service is already running. */
export class RestartInProgress extends Error {
  constructor(readonly service: string) {
    super(`a restart of ${service} is already running`);
    this.name = "RestartInProgress";
  }
}

export interface ServiceRestarterOptions {
  /** The home folder: the command runs there. */
  home: string;
  /** Where the output files go (`.tmp/`). */
  tmpDir: string;
  audit: AuditTrail;
  /** Redacts the command and its output (default: the patterns only, no known values). */
  redact?: Redact;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Characters of output kept (default 1500). */
  tailChars?: number;
  /** The Docker Engine API's socket, for container services without a restart command. */
  dockerSocket?: string;
  /** The system bus's address, for unit services without a restart command. */
  systemBusAddress?: string;
}

/** See the file comment. */
export class ServiceRestarter {
  private readonly running = new Set<string>();
  private readonly redact: Redact;

  constructor(private readonly options: ServiceRestarterOptions) {
    this.redact = options.redact ?? createRedactor();
  }

  /** Whether a restart of `service` is running now. */
  isRunning(service: string): boolean {
    return this.running.has(service);
  }

  /**
   * Runs the service's restart command once (or, for a container without one, restarts it through
   * the Docker Engine API); throws RestartInProgress when a restart of the service is running.
   * Both ways are audited alike: requested, then the outcome.
   */
  async restart(service: ServiceConfig, actor: string): Promise<RestartResult> {
    const container = !service.restart && service.match.kind === "container" ? service.match.container : undefined;
    const unit = !service.restart && service.match.kind === "unit" ? service.match.unit : undefined;
    const command = service.restart;
    if (!command && !container && !unit) throw new Error(`service ${service.name} has no restart command`);
    if (this.running.has(service.name)) throw new RestartInProgress(service.name);
    this.running.add(service.name);
    try {
      await this.options.audit.record({
        kind: "service.restart.requested",
        actor,
        subject: service.name,
        message: `Restart of ${service.name} requested`,
        details: container ? { container } : unit ? { unit } : { command: this.redact(command!) },
      });
      const outcome = container
        ? await this.restartContainer(service.name, container)
        : unit
          ? await this.restartUnit(service.name, unit)
          : this.commandOutcome(service.name, await this.run(service.name, command!));
      await this.options.audit.record({ kind: "service.restart", actor, subject: service.name, message: outcome.message, details: outcome.details });
      return outcome.result;
    } finally {
      this.running.delete(service.name);
    }
  }

  /** The audit trail's words and figures for a restart command's result. */
  private commandOutcome(name: string, result: RestartResult): RestartOutcome {
    const message = result.error
      ? `Restart of ${name} could not start: ${result.error}`
      : result.timedOut
        ? `Restart of ${name} timed out after ${Math.round(result.durationMs / 1000)}s and was killed`
        : `Restart of ${name} exited with code ${result.exitCode}`;
    return { result, message, details: { exitCode: result.exitCode, timedOut: result.timedOut, durationMs: result.durationMs, outputTail: result.outputTail } };
  }

  /**
   * Restarts a container through the Docker Engine API (POST /containers/NAME/restart); the client
   * is loaded only now. Exit code 0 when Docker says done.
   */
  private async restartContainer(name: string, container: string): Promise<RestartOutcome> {
    const started = performance.now();
    const { restartContainer } = await import("../monitor/docker-engine.js");
    let error: string | undefined;
    try {
      await restartContainer(this.options.dockerSocket ?? "/var/run/docker.sock", container, this.options.timeoutMs ?? 60_000);
    } catch (failure) {
      error = (failure as Error).message;
    }
    const result: RestartResult = { service: name, exitCode: error ? null : 0, timedOut: false, durationMs: Math.round(performance.now() - started), outputTail: "", ...(error ? { error } : {}) };
    return {
      result,
      message: error ? `Restart of ${name} (container ${container}) failed: ${error}` : `Restarted container ${container} through the Docker API`,
      details: { container, exitCode: result.exitCode, durationMs: result.durationMs },
    };
  }

  /**
   * Restarts a systemd unit through D-Bus (Manager.RestartUnit, mode "replace"), on a connection
   * of its own that the client, loaded only now, closes after. Exit code 0 once systemd has queued
   * the restart job; a user other than root needs polkit's org.freedesktop.systemd1.manage-units.
   */
  private async restartUnit(name: string, unit: string): Promise<RestartOutcome> {
    const started = performance.now();
    const { SystemdBus } = await import("../monitor/systemd-bus.js");
    const bus = new SystemdBus(this.options.systemBusAddress ?? DEFAULT_SYSTEM_BUS_ADDRESS, Math.min(this.options.timeoutMs ?? 60_000, 30_000));
    let error: string | undefined;
    try {
      await bus.restartUnit(unit);
    } catch (failure) {
      error = (failure as Error).message;
      const problem = (failure as { problem?: string }).problem;
      // What systemd answers a user other than root without polkit's consent.
      if (problem === "InteractiveAuthorizationRequired" || problem === "AccessDenied") {
        error += `; gaia's user needs polkit's org.freedesktop.systemd1.manage-units for ${unit} (or run gaia as root, or give the service a restart: command)`;
      }
    } finally {
      bus.close();
    }
    const result: RestartResult = { service: name, exitCode: error ? null : 0, timedOut: false, durationMs: Math.round(performance.now() - started), outputTail: "", ...(error ? { error } : {}) };
    return {
      result,
      message: error ? `Restart of ${name} (unit ${unit}) failed: ${error}` : `Restarted unit ${unit} through systemd's D-Bus API`,
      details: { unit, exitCode: result.exitCode, durationMs: result.durationMs },
    };
  }

  private async run(name: string, command: string): Promise<RestartResult> {
    mkdirSync(this.options.tmpDir, { recursive: true, mode: 0o700 });
    const outputFile = join(this.options.tmpDir, `restart-${name}.log`);
    const fd = openSync(outputFile, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND, 0o600);
    fchmodSync(fd, 0o600); // a file left by an older gaia may have had another mode
    const started = performance.now();
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const outcome = await new Promise<{ exitCode: number | null; timedOut: boolean; error?: string }>((resolve) => {
      let timedOut = false;
      let child: ReturnType<typeof spawn>;
      try {
        // Its own process group, so that a timeout kills the command and whatever it started.
        child = spawn(command, { shell: true, cwd: this.options.home, stdio: ["ignore", fd, fd], detached: true });
      } catch (error) {
        resolve({ exitCode: null, timedOut: false, error: (error as Error).message });
        return;
      }
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      }, timeoutMs);
      child.once("error", (error) => {
        clearTimeout(timer);
        resolve({ exitCode: null, timedOut, error: error.message });
      });
      // "exit", not "close": a service left running in the background keeps the output file open.
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve({ exitCode: timedOut ? null : code, timedOut });
      });
    });
    closeSync(fd);
    return {
      service: name,
      exitCode: outcome.exitCode,
      timedOut: outcome.timedOut,
      durationMs: Math.round(performance.now() - started),
      outputTail: this.tailOf(this.redactOutputFile(outputFile)),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
  }

  /**
   * Rewrites the output file with its end redacted, and returns that text. Redacted before it is
   * cut to the tail: a cut could leave half a token that no longer looks like one.
   */
  private redactOutputFile(file: string): string {
    let fd: number;
    try {
      fd = openSync(file, "r+");
    } catch {
      return "";
    }
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, KEPT_OUTPUT_BYTES);
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, size - length);
      const text = (length < size ? "…\n" : "") + this.redact(buffer.subarray(0, read).toString("utf8"));
      ftruncateSync(fd, 0);
      writeSync(fd, text, 0, "utf8");
      return text;
    } catch {
      return "";
    } finally {
      closeSync(fd);
    }
  }

  private tailOf(text: string): string {
    const chars = this.options.tailChars ?? 1500;
    return (text.length > chars ? text.slice(-chars) : text).trimEnd();
  }
}
