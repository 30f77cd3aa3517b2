import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import { createServer } from "node:net";

/** The compiled CLI: `npm test` builds it first (pretest), so e2e tests run the real program. */
export const GAIA_BIN = fileURLToPath(new URL("../../dist/cli/gaia.js", import.meta.url));

export interface GaiaProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when the output contains `pattern` (a JSON log field, a chat line...). */
  waitForOutput(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal and resolves with the exit code (or 128 + signal number). */
  stop(signal?: NodeJS.Signals): Promise<number>;
  exited: Promise<number>;
}

/** Starts `gaia ARGS` in `home` with only the given environment (plus PATH and HOME). */
export function startGaia(args: string[], options: { home: string; env?: Record<string, string>; stdin?: "pipe" | "ignore" }): GaiaProcess {
  const child = spawn(process.execPath, [GAIA_BIN, ...args], {
    cwd: options.home,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.home, GAIA_HOME: options.home, ...options.env },
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
  });
  let text = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  });
  return {
    child,
    exited,
    output: () => text,
    waitForOutput(pattern, timeoutMs = 15_000) {
      const matches = () => (typeof pattern === "string" ? text.includes(pattern) : pattern.test(text));
      if (matches()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`gaia did not print ${String(pattern)} within ${timeoutMs} ms; output so far:\n${text}`));
        }, timeoutMs);
        const check = () => {
          if (!matches()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void exited.then(() => setTimeout(() => {
          if (listeners.has(check)) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`gaia exited before printing ${String(pattern)}; output:\n${text}`));
          }
        }, 50));
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs `gaia ARGS` to completion and returns its exit code and output. */
export async function runGaia(args: string[], options: { home: string; env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [GAIA_BIN, ...args], {
    cwd: options.home,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.home, GAIA_HOME: options.home, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(options.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code: code ?? 128 + (signal ? signalNumber(signal) : 0), stdout, stderr };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for api.listen in tests). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, "close");
  return port;
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}
