import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunReporter } from "../../tasks/run-reporter.js";
import { readSpool } from "../../tasks/spooled-runs.js";
import { freePort } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "0123456789abcdef0123456789abcdef";
const END = { task: "backup", event: "end" as const, runId: "run-0001-abcdef", exitCode: 3, durationMs: 1200, outputTail: "disk full", startedAt: "2026-03-01T00:00:00.000Z", endedAt: "2026-03-01T00:00:01.200Z" };

describe("reporting a run to the monitor", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function monitor(answer: (req: IncomingMessage, body: unknown) => { status: number; body?: unknown; delayMs?: number }) {
    const received: { headers: IncomingMessage["headers"]; body: unknown; url?: string }[] = [];
    const server: Server = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        const body = JSON.parse(text) as unknown;
        received.push({ headers: req.headers, body, url: req.url });
        const { status, body: reply, delayMs } = answer(req, body);
        setTimeout(() => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(reply ?? {})), delayMs ?? 0);
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    cleanups.push(() => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }));
    return { port: (server.address() as { port: number }).port, received };
  }

  function spoolDir() {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    return join(home.home, ".tmp", "spool");
  }

  it("posts start and end to /v1/runs with the API token", async () => {
    const { port, received } = await monitor((_req, body) => ({ status: (body as { event: string }).event === "start" ? 201 : 200 }));
    const dir = spoolDir();
    const reporter = new RunReporter({ host: "127.0.0.1", port, token: TOKEN, spoolDir: dir });
    expect(await reporter.start({ task: "backup", event: "start", runId: END.runId, startedAt: END.startedAt })).toEqual({ kind: "sent" });
    expect(await reporter.end(END)).toEqual({ kind: "sent" });
    expect(received.map((r) => [r.url, r.headers.authorization, r.body])).toEqual([
      ["/v1/runs", `Bearer ${TOKEN}`, { task: "backup", event: "start", runId: END.runId, startedAt: END.startedAt }],
      ["/v1/runs", `Bearer ${TOKEN}`, END],
    ]);
    expect(existsSync(dir)).toBe(false);
  });

  it("keeps the end report in the spool, atomically and privately, when no monitor runs", async () => {
    const dir = spoolDir();
    const reporter = new RunReporter({ host: "127.0.0.1", port: await freePort(), token: TOKEN, spoolDir: dir });
    expect(await reporter.start({ task: "backup", event: "start", runId: END.runId })).toMatchObject({ kind: "lost", reason: "no monitor is running" });
    const outcome = await reporter.end(END);
    expect(outcome).toMatchObject({ kind: "spooled", reason: "no monitor is running" });
    expect(readdirSync(dir)).toEqual([`${END.runId}.json`]); // no temporary file left behind
    expect(statSync(join(dir, `${END.runId}.json`)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, `${END.runId}.json`), "utf8"))).toEqual(END);
    expect(readSpool(dir)).toEqual([{ file: join(dir, `${END.runId}.json`), report: END }]);
  });

  it("spools without trying when no monitor ever made a token here", async () => {
    const dir = spoolDir();
    const reporter = new RunReporter({ host: "127.0.0.1", port: 9, spoolDir: dir });
    expect(await reporter.end(END)).toMatchObject({ kind: "spooled", reason: expect.stringContaining("no API token") });
  });

  it("spools when the monitor is too slow, refuses the token or does not know the task yet", async () => {
    for (const [status, delayMs] of [[200, 2000], [401, 0], [404, 0], [503, 0]] as const) {
      const { port } = await monitor(() => ({ status, body: { error: "nope" }, delayMs }));
      const dir = spoolDir();
      const reporter = new RunReporter({ host: "127.0.0.1", port, token: TOKEN, spoolDir: dir, timeoutMs: 300 });
      const outcome = await reporter.end(END);
      expect(outcome.kind, `status ${status}`).toBe("spooled");
      expect(readdirSync(dir)).toEqual([`${END.runId}.json`]);
    }
  });

  it("does not spool a report the monitor rejected as invalid: it would never be taken", async () => {
    const { port } = await monitor(() => ({ status: 422, body: { error: "exitCode: expected an integer from 0 to 255" } }));
    const dir = spoolDir();
    const outcome = await new RunReporter({ host: "127.0.0.1", port, token: TOKEN, spoolDir: dir }).end(END);
    expect(outcome).toEqual({ kind: "lost", reason: "the monitor answered 422: exitCode: expected an integer from 0 to 255" });
    expect(existsSync(dir)).toBe(false);
  });

  it("reaches a monitor listening on every interface through loopback", async () => {
    const { port, received } = await monitor(() => ({ status: 200 }));
    expect(await new RunReporter({ host: "0.0.0.0", port, token: TOKEN, spoolDir: spoolDir() }).end(END)).toEqual({ kind: "sent" });
    expect(received).toHaveLength(1);
  });
});
