import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import pino from "pino";
import type { DataSource } from "typeorm";
import { approvalRoutes } from "../../api/approval-routes.js";
import { startApiServer, type ApiServer } from "../../api/server.js";
import { ApprovalRequests } from "../../approvals/approval-requests.js";
import { Secret } from "../../config/secret.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { openDatabase } from "../../entities/data-source.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "test-api-token-0123456789abcdef";
const ALICE = { actor: "telegram:1001", label: "Alice (1001)" };

describe("the approvals routes of the local API", () => {
  let home: ReturnType<typeof makeTempHome>;
  let dataSource: DataSource;
  let requests: ApprovalRequests;
  let server: ApiServer;
  let base: string;

  beforeEach(async () => {
    home = makeTempHome();
    ({ dataSource } = await openDatabase(join(home.home, "gaia.db")));
    requests = new ApprovalRequests({ dataSource, audit: new AuditTrail(dataSource), defaultTimeoutMs: 600_000, now: () => new Date() });
    server = await startApiServer({ host: "127.0.0.1", port: 0, token: new Secret(TOKEN), logger: pino({ level: "silent" }), routes: [approvalRoutes(requests)] });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterEach(async () => {
    requests.close();
    await server.close();
    await dataSource.destroy();
    home.cleanup();
  });

  async function call(method: string, path: string, init: { body?: string; token?: string | null; type?: string } = {}) {
    const headers: Record<string, string> = {};
    if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
    if (init.body !== undefined) headers["content-type"] = init.type ?? "application/json";
    const response = await fetch(`${base}${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it("creates a request: 201 with its id, status and expiry, stored before anything else", async () => {
    const before = Date.now();
    const created = await call("POST", "/v1/approvals", { body: JSON.stringify({ title: "Push to main", details: "3 commits", timeout: 120, requester: "ci" }) });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(["expiresAt", "id", "status"]);
    expect(created.body.status).toBe("pending");
    const expiresAt = Date.parse(created.body.expiresAt);
    expect(expiresAt - before).toBeGreaterThanOrEqual(119_000);
    expect(expiresAt - before).toBeLessThan(125_000);
    expect(await requests.find(created.body.id)).toMatchObject({ title: "Push to main", details: "3 commits", requester: "ci", status: "pending" });

    const read = await call("GET", `/v1/approvals/${created.body.id}`);
    expect(read).toEqual({ status: 200, body: { id: created.body.id, status: "pending", title: "Push to main", expiresAt: created.body.expiresAt } });
  });

  it("holds GET ?wait= until the decision, then answers who decided and when", async () => {
    const { body } = await call("POST", "/v1/approvals", { body: JSON.stringify({ title: "Deploy" }) });
    const started = Date.now();
    setTimeout(() => void requests.decide(body.id, "approved", ALICE), 300);
    const answer = await call("GET", `/v1/approvals/${body.id}?wait=30`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: body.id, status: "approved", decidedBy: "Alice (1001)" });
    expect(Number.isNaN(Date.parse(answer.body.decidedAt))).toBe(false);
  });

  it("answers a pending request after the wait runs out", async () => {
    const { body } = await call("POST", "/v1/approvals", { body: JSON.stringify({ title: "Slow" }) });
    const started = Date.now();
    const answer = await call("GET", `/v1/approvals/${body.id}?wait=0.3`);
    expect(answer.body.status).toBe("pending");
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it("stops waiting when the client hangs up", async () => {
    const { body } = await call("POST", "/v1/approvals", { body: JSON.stringify({ title: "Hang up" }) });
    // Watch the server side's wait: it must end with the connection, not 60 s later.
    const waits: Promise<unknown>[] = [];
    const original = requests.waitForSettlement.bind(requests);
    requests.waitForSettlement = (...args) => {
      const wait = original(...args);
      waits.push(wait);
      return wait;
    };
    const aborter = new AbortController();
    const polling = fetch(`${base}/v1/approvals/${body.id}?wait=60`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: aborter.signal }).catch((e: Error) => e.name);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(waits).toHaveLength(1);
    const hungUpAt = Date.now();
    aborter.abort();
    expect(await polling).toBe("AbortError");
    expect(await waits[0]).toMatchObject({ status: "pending" });
    expect(Date.now() - hungUpAt).toBeLessThan(1_000);
  });

  it("answers 400 to malformed JSON and to a body that is not JSON", async () => {
    const malformed = await call("POST", "/v1/approvals", { body: '{"title": "x",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/malformed JSON/);
    const form = await call("POST", "/v1/approvals", { body: "title=x", type: "application/x-www-form-urlencoded" });
    expect(form.status).toBe(400);
    expect(form.body.error).toMatch(/JSON body/);
  });

  it("answers 401 without the bearer token or with a wrong one, and stores nothing", async () => {
    for (const token of [null, "wrong-token-wrong-token-wrong"]) {
      const answer = await call("POST", "/v1/approvals", { token, body: JSON.stringify({ title: "Sneaky" }) });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(/bearer token/);
    }
    expect((await call("GET", "/v1/approvals/0123456789abcdef", { token: null })).status).toBe(401);
    expect(await requests.pending()).toEqual([]);
  });

  it("answers 404 for an unknown id, however it is spelled", async () => {
    for (const id of ["0123456789abcdef", "nope", "%3Cscript%3E"]) {
      const answer = await call("GET", `/v1/approvals/${id}?wait=1`);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatch(/^no approval request with id/);
    }
  });

  it("answers 413 to a body over 64 KiB", async () => {
    const answer = await call("POST", "/v1/approvals", { body: JSON.stringify({ title: "Big", details: "x".repeat(70 * 1024) }) });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe("body too large: at most 64 KiB");
  });

  it("answers 422 naming each invalid field", async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /title: is required/],
      [{ title: "x".repeat(201) }, /title: must be at most 200 characters/],
      [{ title: "T", details: "x".repeat(3001) }, /details: must be at most 3000 characters/],
      [{ title: "T", timeout: -5 }, /timeout: must be a whole number of seconds/],
      [{ title: "T", timeout: 10 ** 9 }, /timeout: must be a whole number of seconds/],
      [{ title: "T", requester: 42 }, /requester: must be a string/],
      [["T"], /body: must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const answer = await call("POST", "/v1/approvals", { body: JSON.stringify(body) });
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.body.error).toMatch(message);
    }
    for (const wait of ["61", "-1", "soon"]) {
      const answer = await call("GET", `/v1/approvals/0123456789abcdef?wait=${wait}`);
      expect(answer).toEqual({ status: 422, body: { error: "invalid query: wait: must be a number of seconds from 0 to 60" } });
    }
    expect(await requests.pending()).toEqual([]);
  });
});
