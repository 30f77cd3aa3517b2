/**
 * Endpoint checks for `match: { http }` and `match: { tcp }`: "it answers", not only "it runs".
 * Each check settles by its own deadline (the endpoint's `timeout`); the probe runs them in the
 * background (background-checks.ts) and never waits for one. Only node:http, node:https and
 * node:net: no child process, no extra package.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ServiceMatch } from "../config/types.js";
import type { EndpointResult } from "./snapshot.js";

type HttpMatch = Extract<ServiceMatch, { kind: "http" }>;
type TcpMatch = Extract<ServiceMatch, { kind: "tcp" }>;

/** Bytes of a body read to look for `contains`: enough for a health page, bounded for a big one. */
export const CONTAINS_READ_LIMIT = 64 * 1024;

/** Whether a service is watched by an endpoint check rather than by its processes. */
export function isEndpointMatch(match: ServiceMatch): match is HttpMatch | TcpMatch {
  return match.kind === "http" || match.kind === "tcp";
}

/** One endpoint's check (http or tcp); resolves (never rejects) by its deadline. */
export function checkEndpoint(match: HttpMatch | TcpMatch, now: () => number = Date.now): Promise<EndpointResult> {
  return match.kind === "http" ? checkHttp(match, now) : checkTcp(match, now);
}

/**
 * One HTTP(S) GET: up when the status is the expected one (default: any 2xx or 3xx; redirects are
 * not followed) and, with `contains`, the first 64 KiB of the body hold that text. For https the
 * certificate's expiry is reported whether or not it is signed by a known CA (homelabs run their
 * own CA or self-signed certificates), so it is not verified: the check is about answering.
 */
export function checkHttp(match: HttpMatch, now: () => number = Date.now): Promise<EndpointResult> {
  const started = now();
  return new Promise((resolve) => {
    let settled = false;
    let certExpiresAt: Date | undefined;
    const finish = (result: Omit<EndpointResult, "responseMs" | "certExpiresAt">, answered: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve({ ...result, ...(answered ? { responseMs: Math.max(0, now() - started) } : {}), ...(certExpiresAt ? { certExpiresAt } : {}) });
    };
    const https = match.http.startsWith("https:");
    const options = { method: "GET", agent: false as const, headers: { "user-agent": "gaia-monitor", connection: "close" }, ...(https ? { rejectUnauthorized: false } : {}) };
    const request = (https ? httpsRequest : httpRequest)(match.http, options, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const statusOk = match.status !== undefined ? status === match.status : status >= 200 && status < 400;
      if (!statusOk) return finish({ up: false, statusCode: status, problem: "status" }, true);
      if (match.contains === undefined) return finish({ up: true, statusCode: status }, true);
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
        if (body.includes(match.contains!)) finish({ up: true, statusCode: status }, true);
        else if (body.length >= CONTAINS_READ_LIMIT) finish({ up: false, statusCode: status, problem: "content" }, true);
      });
      response.on("end", () => finish(body.includes(match.contains!) ? { up: true, statusCode: status } : { up: false, statusCode: status, problem: "content" }, true));
      response.on("error", () => finish({ up: false, statusCode: status, problem: "connection" }, false));
    });
    request.on("socket", (socket) => {
      socket.once("secureConnect", () => {
        const validTo = (socket as TLSSocket).getPeerCertificate?.()?.valid_to;
        const at = validTo ? new Date(validTo) : undefined;
        if (at && Number.isFinite(at.getTime())) certExpiresAt = at;
      });
    });
    request.on("error", () => finish({ up: false, problem: "connection" }, false));
    const timer = setTimeout(() => finish({ up: false, problem: "timeout", timeoutMs: match.timeoutMs }, false), match.timeoutMs);
    request.end();
  });
}

/** One TCP connection: up when it is accepted within the deadline; closed at once. */
export function checkTcp(match: TcpMatch, now: () => number = Date.now): Promise<EndpointResult> {
  const started = now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: EndpointResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const socket = connect({ host: match.host, port: match.port });
    socket.once("connect", () => finish({ up: true, responseMs: Math.max(0, now() - started) }));
    socket.once("error", () => finish({ up: false, problem: "connection" }));
    const timer = setTimeout(() => finish({ up: false, problem: "timeout", timeoutMs: match.timeoutMs }), match.timeoutMs);
  });
}
