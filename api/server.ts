import { timingSafeEqual, createHash } from "node:crypto";
import { isIP } from "node:net";
import Fastify, { type FastifyInstance, type FastifyError, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import { ConfigError } from "../config/config-error.js";
import { isLoopbackHost, isWildcardHost } from "../config/loopback.js";
import type { Secret } from "../config/secret.js";
import { databaseTrouble, type DatabaseTrouble } from "../entities/database-trouble.js";
import { ApiError } from "./api-error.js";

/** A route group of the local API; each domain folder's routes are one plugin. */
export type ApiRoutes = (app: FastifyInstance) => void | Promise<void>;

export interface ApiServerOptions {
  host: string;
  port: number;
  token: Secret;
  logger: Logger;
  routes: readonly ApiRoutes[];
}

export { ApiError };

/**
 * The local HTTP API (CONTRACT section 6) on fastify: a Host check on every route, bearer auth on
 * every `/v1/` route (compared in constant time), JSON bodies of at most 64 KiB, and JSON errors
 * `{ "error": "…" }`.
 */
export async function startApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: 64 * 1024,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    // The router's own refusals skip the error handler: answer them in the API's shape and statuses too.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      if (error.code === "FST_ERR_MAX_PARAM_LENGTH") void reply.status(404).send({ error: "not found: a part of the path is longer than 100 characters" });
      else void reply.status(400).send({ error: "malformed URL: check its percent-escapes (%XX)" });
    },
  });
  const expected = digest(options.token.reveal());

  app.addHook("onRequest", async (request) => {
    // DNS rebinding: a web page whose name the attacker points at 127.0.0.1 reaches this API from
    // the admin's browser, but its requests carry the attacker's name as Host. Answer only ours.
    const host = request.headers.host;
    if (host !== undefined && !isOurHost(host, options.host)) {
      throw new ApiError(421, `this API answers requests addressed to localhost, 127.0.0.1, [::1] or ${options.host}, not to ${JSON.stringify(host.slice(0, 100))} (DNS rebinding protection)`);
    }
  });

  app.addHook("onRequest", async (request) => {
    // The matched route decides too: the router decodes the path, so /%761/status reaches /v1/status.
    if (!request.url.startsWith("/v1/") && !request.routeOptions.url?.startsWith("/v1/")) return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1].trim()), expected)) {
      throw new ApiError(401, "missing or wrong bearer token; send Authorization: Bearer <GAIA_API_TOKEN or .private/api-token>");
    }
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const trouble = databaseTrouble(error);
    if (trouble) {
      // The machine's trouble, not the request's: a clear 503 the caller can retry, never a raw SQLite error.
      options.logger.warn({ err: error, url: request.url }, "local API request failed on gaia.db");
      return void reply.status(503).send({ error: DATABASE_TROUBLE[trouble] });
    }
    const status = error instanceof ApiError ? error.statusCode : statusOf(error);
    if (status >= 500) options.logger.error({ err: error, url: request.url }, "local API request failed");
    void reply.status(status).send({ error: status >= 500 ? "internal error; see gaia's log" : messageOf(error) });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}` });
  });

  for (const routes of options.routes) await app.register(async (scope) => routes(scope));
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new ConfigError([
        `gaia.yml api.listen: ${options.host}:${options.port} is already in use by another program; choose a free port (e.g. 127.0.0.1:8788)`,
      ]);
    }
    throw error;
  }
  return app;
}

/**
 * Whether a Host header names this API: a loopback name or the listen address, with any port.
 * Listening on every interface, any IP address is ours too: the machine's addresses are not
 * known here, and a rebinding page always sends a name, never an address.
 */
function isOurHost(header: string, listenHost: string): boolean {
  const match = /^(\[[^\]]*\]|[^:]*)(:\d{1,5})?$/.exec(header.trim());
  if (!match) return false;
  const name = match[1].replace(/^\[|\]$/g, "").toLowerCase();
  if (isLoopbackHost(name) || name === listenHost.toLowerCase()) return true;
  return isWildcardHost(listenHost) && isIP(name) !== 0;
}

const DATABASE_TROUBLE: Record<DatabaseTrouble, string> = {
  full: "gaia.db cannot be written: the disk is full. Free some space; the monitor keeps running and alerting meanwhile. Try again later.",
  locked: "gaia.db is locked by another process; try again shortly (gaia's log names the process).",
  damaged: "gaia.db is damaged; see gaia's log and the README (When the machine is in trouble).",
};

function statusOf(error: FastifyError): number {
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return 413;
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") return 400;
  if (error.validation) return 422;
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return error.statusCode === 415 ? 400 : error.statusCode;
  return 500;
}

function messageOf(error: FastifyError | ApiError): string {
  if (error instanceof ApiError) return error.message;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return "body too large: at most 64 KiB";
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return "send a JSON body with Content-Type: application/json";
  if (error.statusCode === 400 && /JSON/i.test(error.message)) return `malformed JSON: ${error.message}`;
  return error.message;
}

function digest(value: string): Buffer {
  // Hashing first gives equal-length buffers, as timingSafeEqual needs, without leaking the length.
  return createHash("sha256").update(value).digest();
}
