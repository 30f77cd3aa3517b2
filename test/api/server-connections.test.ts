import { afterEach, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { ApiAnswer } from "../../api/api-answer.js";
import type { ApiRoutes } from "../../api/router.js";
import { startApiServer, type ApiServer, type ApiServerOptions } from "../../api/server.js";
import { ConfigError } from "../../config/config-error.js";
import { Secret } from "../../config/secret.js";

const TOKEN = "test-api-token-0123456789abcdef";
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** What a raw socket received until the server closed it (or `ms` passed), and whether it was closed. */
function readUntilClosed(socket: Socket, ms: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
    socket.on("error", () => undefined);
    const timer = setTimeout(() => resolve({ text, closed: false }), ms);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

describe("the local API's connections and answers", () => {
  const servers: ApiServer[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const server of servers.splice(0)) await server.close();
  });

  async function serve(routes: ApiRoutes[], extra: Partial<ApiServerOptions> = {}): Promise<{ base: string; port: number; server: ApiServer; logged: string[] }> {
    const logged: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => void (logged.push(chunk.toString()), done()) });
    const server = await startApiServer({ host: "127.0.0.1", port: 0, token: new Secret(TOKEN), logger: pino({ level: "info" }, sink), routes, ...extra });
    servers.push(server);
    return { base: `http://127.0.0.1:${server.port}`, port: server.port, server, logged };
  }

  function rawSocket(port: number): Socket {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    return socket;
  }

  it("answers unknown routes and wrong methods with a 404 JSON error, and a failing route with a 500 that only the log explains", async () => {
    const { base, logged } = await serve([
      (router) => {
        router.get("/v1/status", () => ({ ok: true }));
        router.get("/v1/broken", () => {
          throw new Error("the secret reason it broke");
        });
      },
    ]);
    const unknown = await fetch(`${base}/nowhere?x=1`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await unknown.json()).toEqual({ error: "no route GET /nowhere" });
    const wrongMethod = await fetch(`${base}/v1/status`, { method: "POST", headers: AUTH });
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toEqual({ error: "no route POST /v1/status" });
    // Unknown /v1/ paths need the token too: without it, nothing tells which routes exist.
    expect((await fetch(`${base}/v1/nowhere`)).status).toBe(401);

    const broken = await fetch(`${base}/v1/broken`, { headers: AUTH });
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ error: "internal error; see gaia's log" });
    expect(logged.join("")).toContain("the secret reason it broke");
    expect(logged.join("")).toContain("local API request failed");
  });

  it("reads JSON bodies only: 400 for an empty one or one with a __proto__ key, and the route sees the parsed object", async () => {
    const seen: unknown[] = [];
    const { base } = await serve([(router) => void router.post("/v1/echo", ({ body }) => (seen.push(body), ApiAnswer.json(201, { got: body })))]);
    const post = (body: string | undefined, type?: string) =>
      fetch(`${base}/v1/echo`, { method: "POST", headers: { ...AUTH, ...(type ? { "content-type": type } : {}) }, ...(body !== undefined ? { body } : {}) });

    const good = await post('{"title":"é"}', "application/json; charset=utf-8");
    expect(good.status).toBe(201);
    expect(await good.json()).toEqual({ got: { title: "é" } });
    const empty = await post("", "application/json");
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: string }).error).toMatch(/^malformed JSON/);
    const poisoned = await post('{"a":{"__proto__":{"admin":true}}}', "application/json");
    expect(poisoned.status).toBe(400);
    expect(((await poisoned.json()) as { error: string }).error).toMatch(/^malformed JSON: .*__proto__/);
    const untyped = await post('{"title":"x"}');
    expect(untyped.status).toBe(400);
    expect(await untyped.json()).toEqual({ error: "send a JSON body with Content-Type: application/json" });
    expect(seen).toEqual([{ title: "é" }]);
  });

  it("refuses a body that grows past 64 KiB while it streams (no length announced): 413, then closes instead of reading on", async () => {
    const { port } = await serve([(router) => void router.post("/v1/echo", () => ({ ok: true }))]);
    const socket = rawSocket(port);
    socket.write(`POST /v1/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = "x".repeat(16 * 1024);
    // 80 KiB in 16 KiB chunks, then keep the request open: the server must answer without waiting for its end.
    for (let i = 0; i < 5; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const { text, closed } = await readUntilClosed(socket, 5_000);
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toMatch(/connection: close/i);
    expect(text).toContain('{"error":"body too large: at most 64 KiB"}');
    expect(closed).toBe(true);
  });

  it("cuts a client that sends its headers too slowly (slow-loris), but lets a long poll wait past the request timeout", async () => {
    const timeouts = { headersTimeoutMs: 400, requestTimeoutMs: 600, checkEveryMs: 100 };
    const { port, base } = await serve(
      [(router) => void router.get("/healthz", async ({ query }) => (await new Promise((resolve) => setTimeout(resolve, Number(query.get("wait")))), { ok: true }))],
      { timeouts },
    );
    const slow = rawSocket(port);
    slow.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const started = Date.now();
    const cut = readUntilClosed(slow, 5_000);
    const drip = setInterval(() => slow.writable && slow.write("X-Drip: 1\r\n"), 100);
    try {
      const { text, closed } = await cut;
      expect(closed).toBe(true);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toContain('{"error":"the request took too long to arrive; send it whole"}');
    } finally {
      clearInterval(drip);
    }

    const pollStarted = Date.now();
    const poll = await fetch(`${base}/healthz?wait=1500`);
    expect(poll.status).toBe(200);
    expect(await poll.json()).toEqual({ ok: true });
    expect(Date.now() - pollStarted).toBeGreaterThanOrEqual(1_400);
  });

  it("answers what is not HTTP with a 400 JSON error, and closes", async () => {
    const { port } = await serve([]);
    const socket = rawSocket(port);
    socket.write("HELLO THERE\r\n\r\n");
    const { text, closed } = await readUntilClosed(socket, 5_000);
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toMatch(/content-type: application\/json/i);
    expect(text).toContain('{"error":"malformed HTTP request"}');
    expect(closed).toBe(true);
  });

  it("closes at once, ending idle keep-alive connections and long polls, whose waits are aborted", async () => {
    let aborted: Promise<number> | undefined;
    const { base, port, server } = await serve([
      (router) => {
        router.get("/healthz", () => ({ ok: true }));
        router.get("/v1/wait", ({ signal }) => {
          aborted = new Promise((resolve) => signal.addEventListener("abort", () => resolve(Date.now())));
          return new Promise((resolve) => setTimeout(() => resolve({ late: true }), 60_000).unref());
        });
      },
    ]);
    // An idle keep-alive connection…
    const idle = rawSocket(port);
    idle.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const idleRead = readUntilClosed(idle, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // …and a long poll in progress.
    const poll = fetch(`${base}/v1/wait`, { headers: AUTH }).then(
      () => "answered",
      () => "cut",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(aborted).toBeDefined();

    const closing = Date.now();
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    expect(Date.now() - closing).toBeLessThan(1_000);
    expect(await poll).toBe("cut");
    expect((await aborted!) - closing).toBeLessThan(1_000);
    const { text, closed } = await idleRead;
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(closed).toBe(true);
  });

  it("names the port in use as a config problem", async () => {
    const { port } = await serve([]);
    const attempt = startApiServer({ host: "127.0.0.1", port, token: new Secret(TOKEN), logger: pino({ level: "silent" }), routes: [] });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(`gaia.yml api.listen: 127.0.0.1:${port} is already in use by another program; choose a free port (e.g. 127.0.0.1:8788)`);
  });
});
