/**
 * Real, cheap processes for the monitor to watch: `sleep` started through a symlink, so that each
 * one has a name of its own in the process table (the kernel names a process after the file it
 * executed). Services then match them by `process:` name alone, as most NAS services are matched
 * (smbd, nginx, jellyfin...).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceConfig } from "../../config/types.js";

/** A set of watched processes, one per service name. */
export interface WatchedProcesses {
  /** Service names, which are also the process names (at most 15 characters). */
  names: string[];
  /** Pid of each name's process. */
  pids: Map<string, number>;
  /** Services that match these processes, as `gaia.yml` would produce them. */
  services(): ServiceConfig[];
  /** Kills one process (SIGKILL) and resolves once it is reaped, with when the kill was sent (epoch ms). */
  kill(name: string): Promise<number>;
  /** Starts a killed process again under the same name (a new pid). */
  restart(name: string): Promise<void>;
  /** Kills every process and removes the symlinks. */
  stop(): Promise<void>;
}

/**
 * Starts `count` processes named `<prefix>-001`, `<prefix>-002`... The prefix must be unique to
 * this run: other people's tests may run on the same machine at the same time.
 */
export async function startWatchedProcesses(count: number, prefix: string): Promise<WatchedProcesses> {
  const sleepBinary = ["/usr/bin/sleep", "/bin/sleep"].find((path) => existsSync(path));
  if (!sleepBinary) throw new Error("no sleep binary in /usr/bin or /bin");
  const dir = mkdtempSync(join(tmpdir(), "gaia-bench-bin-"));
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(3, "0")}`);
  if (names.some((name) => name.length > 15)) throw new Error(`prefix ${prefix} makes names longer than 15 characters`);
  const children = new Map<string, ChildProcess>();
  const pids = new Map<string, number>();
  async function launch(name: string): Promise<void> {
    const running = children.get(name);
    // A second process under the same name would be orphaned here and skew every later figure.
    if (running && running.exitCode === null && running.signalCode === null) throw new Error(`${name} is still running`);
    const child = spawn(join(dir, name), ["100000"], { stdio: "ignore" });
    children.set(name, child);
    await once(child, "spawn");
    pids.set(name, child.pid!);
  }
  for (const name of names) symlinkSync(sleepBinary, join(dir, name));
  // An interrupted benchmark (Ctrl-C, a failed figure) must not leave hundreds of sleepers behind.
  const killAllNow = () => {
    for (const child of children.values()) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", killAllNow);
  await Promise.all(names.map(launch));

  async function kill(name: string): Promise<number> {
    const child = children.get(name);
    if (!child) throw new Error(`no watched process ${name}`);
    const exited = once(child, "exit");
    // Epoch ms, the clock of the fake Telegram's call records.
    const at = Date.now();
    child.kill("SIGKILL");
    await exited;
    return at;
  }

  return {
    names,
    pids,
    services: () => names.map((name) => ({ name, match: { kind: "process", process: name } })),
    kill,
    restart: launch,
    async stop() {
      process.off("exit", killAllNow);
      await Promise.all(
        [...children.values()].map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, "exit");
          child.kill("SIGKILL");
          await exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
