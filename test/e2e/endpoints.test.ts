/**
 * Endpoints as an admin meets them: the real `gaia start`, the fake Telegram, and real HTTP,
 * HTTPS and TCP servers on loopback. An endpoint that stops answering is down, one that answers
 * again is back up, /status and /metrics show the response time, and an https certificate that
 * expires within 14 days is alerted.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { askStatus, eventually, monitoringHarness, type MonitoringHarness } from "./monitoring-harness.js";
import { selfSignedCertificate } from "../fakes/tls-certificate.js";

const listen = (server: Server | ReturnType<typeof createTcpServer>, port = 0) =>
  new Promise<number>((resolve) => server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
const close = (server: { close(cb: () => void): unknown; closeAllConnections?: () => void }) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

describe("endpoints: http, https and tcp answers", () => {
  let harness: MonitoringHarness | undefined;
  const servers: { close(cb: () => void): unknown; closeAllConnections?: () => void; listening: boolean }[] = [];
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump());
    await harness?.cleanup();
    harness = undefined;
    for (const server of servers.splice(0)) if (server.listening) await close(server);
  });

  it("reports an endpoint that stops answering as down and back up, shows its response time, and alerts a certificate about to expire", async () => {
    let healthy = true;
    const web = createHttpServer((_req, res) => {
      res.writeHead(healthy ? 200 : 503, { "content-type": "text/plain" });
      res.end(healthy ? "status: ok" : "status: starting");
    });
    const tls = selfSignedCertificate(5);
    const secure = createHttpsServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end("ok"));
    let database = createTcpServer((socket) => socket.end());
    servers.push(web, secure, database);
    const webPort = await listen(web);
    const securePort = await listen(secure);
    const dbPort = await listen(database);

    const h = (harness = await monitoringHarness(() =>
      [
        "services:",
        "  - name: jellyfin",
        `    match: { http: "http://127.0.0.1:${webPort}/health", contains: "status: ok", timeout: 2s }`,
        "  - name: proxy",
        `    match: { http: "https://127.0.0.1:${securePort}/" }`,
        "  - name: postgres",
        `    match: { tcp: "127.0.0.1:${dbPort}", timeout: 2s }`,
      ].join("\n"),
    ));
    h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });

    // The certificate expires in 5 days: alerted once.
    const cert = await h.tg.waitForMessage(/proxy TLS certificate expires in/, { timeoutMs: 15_000 });
    expect(cert.plainText).toMatch(/proxy TLS certificate expires in 4d 23h|proxy TLS certificate expires in 5d/);

    await eventually(async () => (await h.metric('gaia_service_up{service="jellyfin"}')) === 1, 15_000, "jellyfin up in /metrics");
    expect(await h.metric('gaia_service_up{service="postgres"}')).toBe(1);
    expect(await h.metric('gaia_service_response_seconds{service="jellyfin"}')).toBeGreaterThanOrEqual(0);
    expect(await h.metric('gaia_service_response_seconds{service="postgres"}')).toBeGreaterThanOrEqual(0);
    const expiry = await h.metric('gaia_service_certificate_expiry_timestamp_seconds{service="proxy"}');
    expect(expiry! * 1000 - Date.now()).toBeGreaterThan(4 * 86_400_000);
    expect(expiry! * 1000 - Date.now()).toBeLessThan(6 * 86_400_000);

    // /status: each endpoint answers, with its time.
    const status = await askStatus(h.tg);
    expect(status).toMatch(/jellyfin · answers in \d+ ms · HTTP 200/);
    expect(status).toMatch(/postgres · answers in \d+ ms/);
    expect(status).toMatch(/proxy · answers in \d+ ms · HTTP 200 · certificate until/);

    // The page answers without the expected text: down, with what was watched.
    healthy = false;
    const down = await h.tg.waitForMessage(/jellyfin is down/, { timeoutMs: 15_000 });
    expect(down.plainText).toContain(`Watched by: an answer from http://127.0.0.1:${webPort}/health containing “status: ok”`);
    healthy = true;
    await h.tg.waitForMessage(/jellyfin is back up/, { timeoutMs: 15_000 });

    // The database stops accepting connections: down; listening again: back up.
    await close(database);
    await h.tg.waitForMessage(/postgres is down/, { timeoutMs: 15_000 });
    database = createTcpServer((socket) => socket.end());
    servers.push(database);
    await listen(database, dbPort);
    await h.tg.waitForMessage(/postgres is back up/, { timeoutMs: 15_000 });

    // Each was recorded in the one incident ledger.
    const rows = h.query<{ key: string }>("SELECT key FROM incidents ORDER BY id");
    expect(rows.map((r) => r.key)).toEqual(expect.arrayContaining(["service:proxy:certificate", "service:jellyfin:down", "service:postgres:down"]));
    expect(h.sent(/proxy TLS certificate/)).toHaveLength(1);
  }, 120_000);
});
