import { EventEmitter } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { launchTask, type LaunchOptions } from "../../tasks/launch-task.js";

/** Runs a real command through the launcher, collecting what it forwarded. */
async function launch(command: string, args: string[], options: Partial<LaunchOptions> & { onStart?: (signals: EventEmitter) => void } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  const signals = new EventEmitter();
  const running = launchTask({ command, args, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, cwd: process.cwd(), stdout, stderr, signals, label: "job", ...options });
  options.onStart?.(signals);
  const outcome = await running;
  return { outcome, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), signals };
}

describe("launching a job", () => {
  it("returns the job's own exit code, 0 or not", async () => {
    expect((await launch("sh", ["-c", "exit 0"])).outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
    expect((await launch("sh", ["-c", "exit 3"])).outcome).toMatchObject({ exitCode: 3, signal: null, timedOut: false });
  });

  it("forwards output byte for byte (binary too) and keeps the combined tail", async () => {
    const script = "process.stdout.write(Buffer.from([0,1,2,255,254,10])); process.stderr.write('oops\\n'); process.stdout.write('end\\n')";
    const { outcome, stdout, stderr } = await launch(process.execPath, ["-e", script]);
    expect([...stdout]).toEqual([0, 1, 2, 255, 254, 10, ...Buffer.from("end\n")]);
    expect(stderr).toBe("oops\n");
    // The two pipes are read as data arrives, so only each stream's own order is certain.
    expect(outcome.output.tail().split("\n").sort()).toEqual(["end", "oops", "\ufffd\ufffd"].sort());
  });

  it("forwards 8 MB of output completely and in order, through a slow reader", async () => {
    const stdout = new PassThrough({ highWaterMark: 1024 });
    let received = 0;
    let ordered = true;
    let expectedByte = 0;
    // A slow consumer: read in bursts, so the launcher must pause and resume the job's pipe.
    const timer = setInterval(() => {
      let chunk: Buffer | null;
      while ((chunk = stdout.read() as Buffer | null) !== null) {
        for (const byte of chunk) {
          if (byte !== expectedByte) ordered = false;
          expectedByte = (expectedByte + 1) % 251;
        }
        received += chunk.length;
      }
    }, 5);
    const script = "const b=Buffer.alloc(8*1024*1024); for (let i=0;i<b.length;i++) b[i]=i%251; process.stdout.write(b)";
    const outcome = await launchTask({ command: process.execPath, args: ["-e", script], env: {}, cwd: process.cwd(), stdout, stderr: new PassThrough(), signals: new EventEmitter(), label: "job" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    clearInterval(timer);
    expect(outcome.exitCode).toBe(0);
    expect(received).toBe(8 * 1024 * 1024);
    expect(ordered).toBe(true);
  });

  it("reports 128 + the signal when the job is killed", async () => {
    const { outcome } = await launch("sh", ["-c", "kill -TERM $$; sleep 5"]);
    expect(outcome).toMatchObject({ exitCode: 143, signal: "SIGTERM" });
  });

  it("passes SIGTERM, SIGINT and SIGHUP received by gaia on to the job", async () => {
    for (const [signal, code] of [["SIGTERM", 15], ["SIGINT", 2], ["SIGHUP", 1]] as const) {
      const script = `trap 'echo got ${signal}; exit ${code + 100}' ${signal.slice(3)}; echo ready; while :; do sleep 0.05; done`;
      const stdout = new PassThrough();
      const signals = new EventEmitter();
      const ready = new Promise<void>((resolve) => stdout.on("data", (c: Buffer) => c.toString().includes("ready") && resolve()));
      const running = launchTask({ command: "sh", args: ["-c", script], env: { PATH: process.env.PATH ?? "" }, cwd: process.cwd(), stdout, stderr: new PassThrough(), signals, label: "job" });
      await ready;
      signals.emit(signal);
      const outcome = await running;
      expect(outcome.exitCode).toBe(code + 100);
      expect(outcome.output.tail()).toContain(`got ${signal}`);
      expect(signals.listenerCount(signal)).toBe(0); // no listener left behind
    }
  });

  it("on a terminal, leaves SIGINT and SIGHUP to the terminal (which sends them to the job itself) but passes SIGTERM", async () => {
    const script = "trap 'echo got INT' INT; trap 'echo got HUP' HUP; trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done";
    const stdout = new PassThrough();
    const signals = new EventEmitter();
    const ready = new Promise<void>((resolve) => stdout.on("data", (c: Buffer) => c.toString().includes("ready") && resolve()));
    const running = launchTask({ command: "sh", args: ["-c", script], env: { PATH: process.env.PATH ?? "" }, cwd: process.cwd(), stdout, stderr: new PassThrough(), signals, label: "job", onTerminal: true });
    await ready;
    signals.emit("SIGINT");
    signals.emit("SIGHUP");
    await new Promise((resolve) => setTimeout(resolve, 200));
    signals.emit("SIGTERM");
    const outcome = await running;
    expect(outcome.exitCode).toBe(7);
    expect(outcome.output.tail()).toBe("ready\ngot TERM");
  });

  it("stops a job that outlives its timeout with SIGTERM, and says so", async () => {
    const { outcome, stderr } = await launch("sleep", ["10"], { timeoutMs: 300 });
    expect(outcome).toMatchObject({ exitCode: 143, signal: "SIGTERM", timedOut: true });
    expect(outcome.durationMs).toBeLessThan(5000);
    expect(stderr).toContain("gaia run: job took longer than its timeout");
    expect(outcome.output.tail()).toContain("took longer than its timeout");
  });

  it("kills a job that ignores SIGTERM after the grace period", async () => {
    const { outcome } = await launch("sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"], { timeoutMs: 300, killGraceMs: 300 });
    expect(outcome).toMatchObject({ exitCode: 137, signal: "SIGKILL", timedOut: true });
  });

  it("answers 127 like a shell for a command that does not exist, and 126 for one that cannot run", async () => {
    const missing = await launch("/no/such/command", []);
    expect(missing.outcome.exitCode).toBe(127);
    expect(missing.stderr).toContain("gaia run: cannot run /no/such/command for job: no such command");
    const file = join(mkdtempSync(join(tmpdir(), "gaia-launch-")), "not-executable.sh");
    writeFileSync(file, "echo never\n", { mode: 0o644 });
    const notExecutable = await launch(file, []);
    expect(notExecutable.outcome.exitCode).toBe(126);
    expect(notExecutable.stderr).toContain("permission denied");
  });

  it("does not wait for a background child that keeps the output pipe open", async () => {
    const started = Date.now();
    const { outcome } = await launch("sh", ["-c", "sleep 5 & echo started"]);
    expect(outcome.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome.output.tail()).toBe("started");
  });
});
