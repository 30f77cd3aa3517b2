import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { ConfigError } from "../config/config-error.js";
import type { Secret } from "../config/secret.js";
import { databaseTrouble, type DatabaseTrouble } from "../entities/database-trouble.js";
import { ApiAnswer } from "./api-answer.js";
import { ApiError } from "./api-error.js";
import { bearerCheck } from "./bearer-check.js";
import { answerClientError } from "./client-error.js";
import { checkHost } from "./host-check.js";
import { readJsonBody } from "./json-body.js";
import { ApiRouter, decodePath, type ApiRoutes } from "./router.js";

export type { ApiRoutes };
export { ApiError };

export interface ApiServerOptions {
  host: string;
  port: number;
  token: Secret;
  logger: Logger;
  routes: readonly ApiRoutes[];
  /**
   * Slow clients (slow-loris): the headers must arrive within `headersTimeoutMs` and the whole
   * request (headers and body) within `requestTimeoutMs`, checked every `checkEveryMs`. Only
   * receiving counts: a long poll (`?wait=` up to 60 s) is answered after its request is in.
   */
  timeouts?: { headersTimeoutMs: number; requestTimeoutMs: number; checkEveryMs: number };
}

/** The running API: its port (useful with port 0), and close(), which ends every connection. */
export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUTS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, checkEveryMs: 5_000 };

/**
 * The local HTTP API (CONTRACT section 6) on node:http: a Host check on every route, bearer auth
 * on every `/v1/` route (compared in constant time), JSON bodies of at most 64 KiB, and JSON
 * errors `{ "error": "…" }`.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const router = new ApiRouter();
  for (const routes of options.routes) routes(router);
  const checkBearer = bearerCheck(options.token);
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const server = createServer({
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: timeouts.checkEveryMs,
  });

  server.on("clientError", answerClientError);
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    // A client that hangs up ends what its request waits for ("close" also follows a normal answer: nothing left to abort then).
    const hangUp = new AbortController();
    response.once("close", () => hangUp.abort());
    answer(request, hangUp.signal)
      .then(
        (result) => send(request, response, result),
        (error: unknown) => send(request, response, errorAnswer(error, request, options.logger)),
      )
      .catch((error: unknown) => {
        // Sending itself failed (a header node refuses): nothing more can be said on this connection.
        options.logger.error({ err: error, url: request.url }, "local API answer failed");
        response.destroy();
      });
  });

  async function answer(request: IncomingMessage, signal: AbortSignal): Promise<ApiAnswer> {
    checkHost(request.headers.host, options.host);
    const url = request.url ?? "/";
    const queryAt = url.indexOf("?");
    const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
    const parts = rawPath.startsWith("/") ? decodePath(rawPath) : undefined;
    // Decided on the decoded path too (/%761/status is /v1/status), and on the route found.
    const underV1 = rawPath.startsWith("/v1/") || (parts !== undefined && `/${parts.join("/")}`.startsWith("/v1/"));
    if (underV1) checkBearer(request.headers.authorization);
    const route = parts && router.find(request.method ?? "", parts);
    if (!route) throw new ApiError(404, `no route ${request.method} ${rawPath.slice(0, 200)}`);
    // Never reached while a /v1/ route's path decodes to /v1/…; kept so that no spelling can bypass the token.
    if (!underV1 && route.pattern.startsWith("/v1/")) checkBearer(request.headers.authorization);
    const body = route.takesBody ? await readJsonBody(request) : undefined;
    const query = new URLSearchParams(queryAt < 0 ? "" : url.slice(queryAt + 1));
    return ApiAnswer.of(await route.handler({ params: route.params, query, body, signal }));
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new ConfigError([
        `gaia.yml api.listen: ${options.host}:${options.port} is already in use by another program; choose a free port (e.g. 127.0.0.1:8788)`,
      ]);
    }
    throw error;
  }
  server.on("error", (error) => options.logger.error({ err: error }, "local API server failed"));

  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server),
  };
}

/** Stops listening and ends every connection now: idle keep-alive ones and long polls (whose waits abort) alike. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function send(request: IncomingMessage, response: ServerResponse, answer: ApiAnswer): void {
  if (response.headersSent || response.destroyed) return;
  const headers: Record<string, string | number> = { "content-type": answer.contentType, "content-length": Buffer.byteLength(answer.text) };
  // Answered before its body was read (413, 401 on a POST…): close, rather than read the rest as the next request.
  if (!request.complete) headers.connection = "close";
  response.writeHead(answer.status, headers);
  response.end(answer.text);
}

function errorAnswer(error: unknown, request: IncomingMessage, logger: Logger): ApiAnswer {
  const trouble = databaseTrouble(error);
  if (trouble) {
    // The machine's trouble, not the request's: a clear 503 the caller can retry, never a raw SQLite error.
    logger.warn({ err: error, url: request.url }, "local API request failed on gaia.db");
    return ApiAnswer.json(503, { error: DATABASE_TROUBLE[trouble] });
  }
  if (error instanceof ApiError) return ApiAnswer.json(error.statusCode, { error: error.message });
  logger.error({ err: error, url: request.url }, "local API request failed");
  return ApiAnswer.json(500, { error: "internal error; see gaia's log" });
}

const DATABASE_TROUBLE: Record<DatabaseTrouble, string> = {
  full: "gaia.db cannot be written: the disk is full. Free some space; the monitor keeps running and alerting meanwhile. Try again later.",
  locked: "gaia.db is locked by another process; try again shortly (gaia's log names the process).",
  damaged: "gaia.db is damaged; see gaia's log and the README (When the machine is in trouble).",
};
