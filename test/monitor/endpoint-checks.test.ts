import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { checkEndpoint, checkHttp, checkTcp } from "../../monitor/endpoint-checks.js";
import { selfSignedCertificate } from "../fakes/tls-certificate.js";

const open: (Server | TcpServer)[] = [];
async function serve<T extends Server | TcpServer>(server: T): Promise<number> {
  open.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return (server.address() as AddressInfo).port;
}
afterEach(async () => {
  for (const server of open.splice(0)) {
    (server as Server).closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A port nothing listens on: one that was just free. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const http = (url: string, extra: { status?: number; contains?: string; timeoutMs?: number } = {}) => ({ kind: "http" as const, http: url, timeoutMs: 2000, ...extra });

describe("http endpoint check", () => {
  it("is up on a 2xx answer and reports its status and response time", async () => {
    const port = await serve(createServer((_q, r) => r.end("ok")));
    const result = await checkHttp(http(`http://127.0.0.1:${port}/health`));
    expect(result).toMatchObject({ up: true, statusCode: 200 });
    expect(result.responseMs).toBeGreaterThanOrEqual(0);
  });

  it("is down on a 5xx answer, or on a status other than the one asked for", async () => {
    const port = await serve(createServer((_q, r) => { r.statusCode = 503; r.end(); }));
    expect(await checkHttp(http(`http://127.0.0.1:${port}/`))).toMatchObject({ up: false, statusCode: 503, problem: "status" });
    expect(await checkHttp(http(`http://127.0.0.1:${port}/`, { status: 503 }))).toMatchObject({ up: true, statusCode: 503 });
    expect(await checkHttp(http(`http://127.0.0.1:${port}/`, { status: 200 }))).toMatchObject({ up: false, problem: "status" });
  });

  it("looks for the expected text in the body, across chunks", async () => {
    const port = await serve(createServer((_q, r) => { r.write("status: "); setTimeout(() => r.end("healthy"), 20); }));
    expect(await checkHttp(http(`http://127.0.0.1:${port}/`, { contains: "status: healthy" }))).toMatchObject({ up: true });
    expect(await checkHttp(http(`http://127.0.0.1:${port}/`, { contains: "degraded" }))).toMatchObject({ up: false, problem: "content" });
  });

  it("is down with a refused connection, and gives up at its deadline on a server that never answers", async () => {
    expect(await checkHttp(http(`http://127.0.0.1:${await closedPort()}/`))).toEqual({ up: false, problem: "connection" });
    const port = await serve(createServer(() => undefined));
    expect(await checkHttp(http(`http://127.0.0.1:${port}/`, { timeoutMs: 300 }))).toEqual({ up: false, problem: "timeout", timeoutMs: 300 });
  });

  it("reports an https certificate's expiry, self-signed or not", async () => {
    const port = await serve(createHttpsServer(selfSignedCertificate(10), (_q, r) => r.end("ok")));
    const result = await checkHttp(http(`https://127.0.0.1:${port}/`));
    expect(result.up).toBe(true);
    const days = (result.certExpiresAt!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(9);
    expect(days).toBeLessThan(11);
  });
});

describe("tcp endpoint check", () => {
  it("is up when the connection is accepted, down when refused", async () => {
    const port = await serve(createTcpServer((s) => s.end()));
    expect(await checkTcp({ kind: "tcp", tcp: `127.0.0.1:${port}`, host: "127.0.0.1", port, timeoutMs: 2000 })).toMatchObject({ up: true });
    const closed = await closedPort();
    expect(await checkTcp({ kind: "tcp", tcp: `127.0.0.1:${closed}`, host: "127.0.0.1", port: closed, timeoutMs: 2000 })).toEqual({ up: false, problem: "connection" });
  });
});

describe("checkEndpoint", () => {
  it("checks an http or a tcp endpoint by its kind, and gives up on a server that accepts and never answers at its timeout", async () => {
    const hung = await serve(createServer(() => undefined));
    const started = Date.now();
    expect(await checkEndpoint(http(`http://127.0.0.1:${hung}/`, { timeoutMs: 400 }))).toEqual({ up: false, problem: "timeout", timeoutMs: 400 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(Date.now() - started).toBeLessThan(2000);
    const port = await serve(createTcpServer((s) => s.end()));
    expect(await checkEndpoint({ kind: "tcp", tcp: `127.0.0.1:${port}`, host: "127.0.0.1", port, timeoutMs: 2000 })).toMatchObject({ up: true });
  });
});
