import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import pino from "pino";
import { startApiServer, type ApiServer } from "../../api/server.js";
import { Secret } from "../../config/secret.js";

const TOKEN = "test-api-token-0123456789abcdef";

describe("the local API's bearer check", () => {
  let server: ApiServer;
  let base: string;

  beforeEach(async () => {
    server = await startApiServer({
      host: "127.0.0.1",
      port: 0,
      token: new Secret(TOKEN),
      logger: pino({ level: "silent" }),
      routes: [(app) => void app.get("/v1/status", async () => ({ secret: "status data" }))],
    });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterEach(async () => {
    await server.close();
  });

  it("refuses a /v1/ route without the token however its path is spelled (percent-encoded, mixed case escapes)", async () => {
    for (const path of ["/v1/status", "/%761/status", "/v%31/status", "/%76%31/status", "/v1%2Fstatus"]) {
      const answer = await fetch(`${base}${path}`);
      const text = await answer.text();
      expect(text, path).not.toContain("status data");
      expect([401, 404], path).toContain(answer.status);
    }
    expect((await fetch(`${base}/%761/status`)).status).toBe(401);
    const allowed = await fetch(`${base}/%761/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await allowed.json()).toEqual({ secret: "status data" });
  });

  it("answers the router's own refusals (an over-long path part, a bad escape) as JSON { error } with 404 or 400", async () => {
    await server.close();
    server = await startApiServer({
      host: "127.0.0.1",
      port: 0,
      token: new Secret(TOKEN),
      logger: pino({ level: "silent" }),
      routes: [(app) => void app.get("/v1/approvals/:id", async () => ({ secret: "approval" }))],
    });
    base = `http://127.0.0.1:${server.port}`;
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const long = await fetch(`${base}/v1/approvals/${"a".repeat(150)}`, auth);
    expect(long.status).toBe(404);
    expect(await long.json()).toEqual({ error: "not found: a part of the path is longer than 100 characters" });
    const bad = await fetch(`${base}/v1/approvals/%zz`, auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "malformed URL: check its percent-escapes (%XX)" });
  });

  it("answers a clear 503 JSON when gaia.db cannot be written (full disk, lock held), never SQLite's raw error", async () => {
    await server.close();
    const sqliteError = (code: string, message: string) => Object.assign(new Error(`SqliteError: ${message}`), { code, driverError: Object.assign(new Error(message), { code }) });
    server = await startApiServer({
      host: "127.0.0.1",
      port: 0,
      token: new Secret(TOKEN),
      logger: pino({ level: "silent" }),
      routes: [
        (app) => {
          app.post("/v1/full", async () => {
            throw sqliteError("SQLITE_FULL", "database or disk is full");
          });
          app.post("/v1/enospc", async () => {
            throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
          });
          app.post("/v1/locked", async () => {
            throw sqliteError("SQLITE_BUSY", "database is locked");
          });
        },
      ],
    });
    base = `http://127.0.0.1:${server.port}`;
    const post = (path: string) => fetch(`${base}${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    for (const path of ["/v1/full", "/v1/enospc"]) {
      const answer = await post(path);
      expect(answer.status).toBe(503);
      const body = (await answer.json()) as { error: string };
      expect(body.error).toMatch(/^gaia\.db cannot be written: the disk is full/);
      expect(body.error).not.toMatch(/SQLITE|ENOSPC/);
    }
    const locked = await post("/v1/locked");
    expect(locked.status).toBe(503);
    expect(((await locked.json()) as { error: string }).error).toMatch(/locked by another process/);
  });
});

/** A GET with a Host header of our choosing (fetch sets its own). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, path, headers: { host } }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("the local API's Host check (DNS rebinding)", () => {
  const servers: ApiServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  async function serve(host: string): Promise<number> {
    const server = await startApiServer({
      host,
      port: 0,
      token: new Secret(TOKEN),
      logger: pino({ level: "silent" }),
      routes: [(app) => void app.get("/healthz", async () => ({ ok: true })), (app) => void app.get("/metrics", async () => "gaia_up 1\n")],
    });
    servers.push(server);
    return server.port;
  }

  it.each(["evil.example", "evil.example:8787", "127.0.0.1.nip.io", "localhost.evil.example", "[::2]", "10.0.0.5"])(
    "refuses Host %j on every route with 421 and a JSON error",
    async (host) => {
      const port = await serve("127.0.0.1");
      for (const path of ["/healthz", "/metrics", "/v1/status", "/nowhere"]) {
        const answer = await getWithHost(port, path, host);
        expect(answer.status, path).toBe(421);
        expect(JSON.parse(answer.body).error, path).toContain("DNS rebinding protection");
      }
    },
  );

  it("answers the loopback names and the listen address, with or without a port", async () => {
    const port = await serve("127.0.0.1");
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "localhost", `[::1]:${port}`, `LOCALHOST:${port}`, `127.0.0.1`]) {
      expect((await getWithHost(port, "/healthz", host)).status, host).toBe(200);
    }
  });

  it("listening on every interface (api.allowRemote), answers IP addresses but still no foreign name", async () => {
    const port = await serve("0.0.0.0");
    expect((await getWithHost(port, "/metrics", `192.168.1.5:${port}`)).status).toBe(200);
    expect((await getWithHost(port, "/metrics", `evil.example:${port}`)).status).toBe(421);
  });
});
