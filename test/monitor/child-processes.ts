/**
 * Real processes for the monitor tests: idle "services", CPU burners and TCP listeners, each
 * tagged with a unique token on its command line so that tests running at the same time (and
 * other engineers' tests) can never match each other's processes.
 *
 * None outlives a crashed test run: the idle ones exit when their stdin (a pipe from the test)
 * closes, and a burner stops by itself after 20 seconds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { writeFileSync } from "node:fs";

/** A child process started by a test. */
export interface TestChild {
  child: ChildProcess;
  pid: number;
  /** Unique string present in the child's command line. */
  token: string;
}

const started: ChildProcess[] = [];

/** Exits the child when the test process goes away (its stdin pipe closes). */
const EXIT_WITH_PARENT = 'process.stdin.on("end", () => process.exit()).resume();';

/** Starts `node -e SCRIPT ARGS… --gaia-test=<uuid>` and waits until it is spawned. */
export async function startNodeChild(
  script: string,
  args: string[],
  options: { detached?: boolean } = {},
): Promise<TestChild> {
  const token = `--gaia-test=${randomUUID()}`;
  const child = spawn(process.execPath, ["-e", script, ...args, token], {
    stdio: ["pipe", "pipe", "inherit"],
    detached: options.detached ?? false,
  });
  started.push(child);
  await once(child, "spawn");
  return { child, pid: child.pid!, token };
}

/** The script of {@link startIdleChild}. */
export const IDLE_SCRIPT = `setInterval(() => {}, 1000); ${EXIT_WITH_PARENT} process.stdout.write("ready\\n");`;

/**
 * An idle process that looks like a service, `node -e "setInterval(…)" agent.js`, resolved once
 * node has started up (before that its memory and name are still those of a starting process).
 */
export async function startIdleChild(): Promise<TestChild> {
  const idle = await startNodeChild(IDLE_SCRIPT, ["agent.js"]);
  await once(idle.child.stdout!, "data");
  return idle;
}

/**
 * A process spinning on one core, `node -e "for (;;) {}"`, for at most 20 seconds.
 *
 * The machine is small and shared (parallel test files, other sessions' builds), and Linux
 * shares CPU between sessions before threads (autogroup). So the burner runs in a session of its
 * own and, where allowed (root), with its group's priority raised: then it really gets most of a
 * core, and "reads at least 50 %" tests the probe rather than the machine's load.
 */
export async function startCpuBurner(): Promise<TestChild> {
  const burner = await startNodeChild(
    'process.stdout.write("spinning\\n"); const end = Date.now() + 20000; for (;;) { if (Date.now() > end) break; }',
    ["burner.js"],
    { detached: true },
  );
  try {
    writeFileSync(`/proc/${burner.pid}/autogroup`, "-10");
  } catch {
    // not root, or a kernel without autogroup: the burner still burns, at ordinary priority
  }
  await once(burner.child.stdout!, "data");
  return burner;
}

/** A process listening on TCP `port` (default: a free one) of `host`; resolves once it listens. */
export async function startListener(host = "127.0.0.1", port = 0): Promise<TestChild & { port: number }> {
  const listener = await startNodeChild(
    `${EXIT_WITH_PARENT} require("net").createServer().listen(${port}, ${JSON.stringify(host)}, function () {` +
      " console.log(this.address().port); });",
    ["listener.js"],
  );
  // A child that cannot listen exits instead of printing its port: fail rather than hang.
  const exited = once(listener.child, "exit").then(() => {
    throw new Error(`listener on ${host} exited before listening`);
  });
  const [chunk] = (await Promise.race([once(listener.child.stdout!, "data"), exited])) as [Buffer];
  return { ...listener, port: Number(chunk.toString().trim()) };
}

/** Kills a child and waits until it is reaped, so it is gone from /proc. */
export async function stopChild(test: TestChild): Promise<void> {
  if (test.child.exitCode !== null || test.child.signalCode !== null) return;
  const exited = once(test.child, "exit");
  test.child.kill("SIGKILL");
  await exited;
}

/** Kills every child these helpers started (for afterAll / afterEach). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all(started.splice(0).map((child) => stopChild({ child, pid: child.pid ?? 0, token: "" })));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
