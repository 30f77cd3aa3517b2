import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { startApiServer } from "../../api/server.js";
import { Secret } from "../../config/secret.js";

const TOKEN = "test-api-token-0123456789abcdef";

describe("the local API's bearer check", () => {
  let server: FastifyInstance;
  let base: string;

  beforeEach(async () => {
    server = await startApiServer({
      host: "127.0.0.1",
      port: 0,
      token: new Secret(TOKEN),
      logger: pino({ level: "silent" }),
      routes: [(app) => void app.get("/v1/status", async () => ({ secret: "status data" }))],
    });
    base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
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
    base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const long = await fetch(`${base}/v1/approvals/${"a".repeat(150)}`, auth);
    expect(long.status).toBe(404);
    expect(await long.json()).toEqual({ error: "not found: a part of the path is longer than 100 characters" });
    const bad = await fetch(`${base}/v1/approvals/%zz`, auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "malformed URL: check its percent-escapes (%XX)" });
  });
});
