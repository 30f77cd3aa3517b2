import { ApiError } from "./api-error.js";

/** What a route handler is given: the request as the API's routes need it, nothing of node:http. */
export interface ApiRequest {
  /** The `:name` parts of the route's path, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body of a POST (undefined when none was sent); always undefined for a GET. */
  readonly body: unknown;
  /** Aborted when the client hangs up or gaia stops: a route that waits stops waiting. */
  readonly signal: AbortSignal;
}

/** Answers a request: a plain value is a 200 JSON answer; an ApiAnswer says its status and type. */
export type ApiHandler = (request: ApiRequest) => unknown;

/** A route group of the local API; each domain folder's routes are one group. */
export type ApiRoutes = (router: ApiRouter) => void;

/** A found route: its handler, whether it takes a body, and its path parameters. */
export interface RouteMatch {
  readonly pattern: string;
  readonly takesBody: boolean;
  readonly handler: ApiHandler;
  readonly params: Record<string, string>;
}

interface Route {
  readonly method: "GET" | "POST";
  readonly pattern: string;
  readonly parts: readonly string[];
  readonly handler: ApiHandler;
}

/** Longer path parameters are refused: no id of the API is near this long. */
export const MAX_PARAM_LENGTH = 100;

/**
 * The local API's routes: exact paths whose parts are either literal or a `:name` parameter
 * (`/v1/approvals/:id`). A handful of routes, so a list searched in order is all it takes.
 * A GET route answers HEAD too (node:http leaves out the body).
 */
export class ApiRouter {
  private readonly routes: Route[] = [];

  get(pattern: string, handler: ApiHandler): this {
    return this.add("GET", pattern, handler);
  }

  post(pattern: string, handler: ApiHandler): this {
    return this.add("POST", pattern, handler);
  }

  /**
   * The route for a method and a path already split into decoded parts (decodePath), or undefined
   * (a wrong method is not found either: CONTRACT section 6 has no 405). A parameter longer
   * than MAX_PARAM_LENGTH is refused with a 404 of its own.
   */
  find(method: string, parts: readonly string[]): RouteMatch | undefined {
    const wanted = method === "HEAD" ? "GET" : method;
    for (const route of this.routes) {
      if (route.method !== wanted || route.parts.length !== parts.length) continue;
      const params = matchParts(route.parts, parts);
      if (params) return { pattern: route.pattern, takesBody: route.method === "POST", handler: route.handler, params };
    }
    return undefined;
  }

  private add(method: Route["method"], pattern: string, handler: ApiHandler): this {
    if (!pattern.startsWith("/")) throw new Error(`a route's path starts with "/": ${pattern}`);
    this.routes.push({ method, pattern, parts: pattern.slice(1).split("/"), handler });
    return this;
  }
}

function matchParts(route: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  // Literal parts first: a long part refused below belongs to this route, not to another one.
  if (route.some((part, i) => !part.startsWith(":") && part !== parts[i])) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.length; i++) {
    if (!route[i].startsWith(":")) continue;
    if (parts[i] === "") return undefined;
    if (parts[i].length > MAX_PARAM_LENGTH) throw new ApiError(404, `not found: a part of the path is longer than ${MAX_PARAM_LENGTH} characters`);
    params[route[i].slice(1)] = parts[i];
  }
  return params;
}

/**
 * A request target's path split at "/" and each part percent-decoded (so `/%761/status` is
 * `v1`, `status`, and `%2F` stays inside its part); 400 for a malformed escape. Decoding each
 * part, not the whole path, keeps an encoded "/" from joining parts.
 */
export function decodePath(rawPath: string): string[] {
  try {
    return rawPath.slice(1).split("/").map((part) => (part.includes("%") ? decodeURIComponent(part) : part));
  } catch {
    throw new ApiError(400, "malformed URL: check its percent-escapes (%XX)");
  }
}
