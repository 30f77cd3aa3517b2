/**
 * Real processes for the monitor tests: idle "services", CPU burners and TCP listeners, each
 * tagged with a unique token on its command line so that tests running at the same time (and
 * other engineers' tests) can never match each other's processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";

/** A child process started by a test. */
export interface TestChild {
  child: ChildProcess;
  pid: number;
  /** Unique string present in the child's command line. */
  token: string;
}

const started: ChildProcess[] = [];

/** Starts `node -e SCRIPT agent.js --token=…` and waits until it runs. */
export async function startNodeChild(script: string, ...args: string[]): Promise<TestChild> {
  const token = `--gaia-test=${randomUUID()}`;
  const child = spawn(process.execPath, ["-e", script, ...args, token], { stdio: ["ignore", "pipe", "inherit"] });
  started.push(child);
  await once(child, "spawn");
  return { child, pid: child.pid!, token };
}

/** An idle process that looks like a service: `node -e "setInterval(…)" agent.js`. */
export function startIdleChild(): Promise<TestChild> {
  return startNodeChild("setInterval(() => {}, 1000)", "agent.js");
}

/** A process that keeps one core busy. */
export function startCpuBurner(): Promise<TestChild> {
  return startNodeChild("for (;;) {}", "burner.js");
}

/** A process listening on a free TCP port of `host`; resolves once it listens. */
export async function startListener(host = "127.0.0.1"): Promise<TestChild & { port: number }> {
  const started = await startNodeChild(
    `require("net").createServer().listen(0, ${JSON.stringify(host)}, function () { console.log(this.address().port); });` +
      "setInterval(() => {}, 1000);",
    "listener.js",
  );
  // A child that cannot listen exits instead of printing its port: fail rather than hang.
  const exited = once(started.child, "exit").then(() => {
    throw new Error(`listener on ${host} exited before listening`);
  });
  const [chunk] = (await Promise.race([once(started.child.stdout!, "data"), exited])) as [Buffer];
  return { ...started, port: Number(chunk.toString().trim()) };
}

/** Kills a child and waits until it is reaped, so it is gone from /proc. */
export async function stopChild(test: TestChild): Promise<void> {
  if (test.child.exitCode !== null || test.child.signalCode !== null) return;
  const exited = once(test.child, "exit");
  test.child.kill("SIGKILL");
  await exited;
}

/** Kills every child these helpers started (for afterAll). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all(started.splice(0).map((child) => stopChild({ child, pid: child.pid ?? 0, token: "" })));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
