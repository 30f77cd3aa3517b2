import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";
import { createPublicKey, createVerify, randomBytes, type KeyObject } from "node:crypto";
import nacl from "tweetnacl";
import { openSealedBox } from "../../rotation/sealed-box.js";

/** What the fake knows about one token. */
export interface FakeTokenInfo {
  login: string;
  /** The account's numeric id (default: derived from the login). */
  accountId?: number;
  /** `classic` (ghp_, sends X-OAuth-Scopes), `fine-grained` (github_pat_), `installation` (ghs_). */
  kind?: "classic" | "fine-grained" | "installation";
  /** Classic tokens: the scopes sent in X-OAuth-Scopes. */
  scopes?: string[];
  /** Sent as GitHub-Authentication-Token-Expiration, verbatim (`2026-10-07 19:07:53 UTC` or `... +0200`). */
  expiration?: string;
  /** Repositories (owner/name) it can read; default: every repository of the fake. */
  repositories?: string[];
}

/** A GitHub App and its one installation. */
export interface FakeApp {
  appId: number;
  slug: string;
  installationId: number;
  /** The account the App is installed on. */
  account: string;
  /** The App's public key (PEM): JWTs must be signed with the matching private key. */
  publicKeyPem: string;
}

/** A request held by {@link FakeGitHub.hold}: it gets no answer until released (or the client dies). */
export interface HeldRequest {
  /** Resolves when a matching request arrived (and is being held). */
  arrived: Promise<void>;
  /** Answers the held request normally. */
  release(): void;
}

interface Hold {
  match: (request: { method: string; path: string; token?: string }) => boolean;
  arrivedResolve: () => void;
  released: Promise<void>;
  release: () => void;
  taken: boolean;
}

const REVOKE_LIMIT_PER_HOUR = 60;

/**
 * A fake GitHub REST API on 127.0.0.1 for what gaia uses, strict like GitHub:
 * - tokens in `Authorization: token X` or `Bearer X` (anything else, unknown or revoked: 401 "Bad credentials");
 * - `GET /user` with the scope (`X-OAuth-Scopes`, classic tokens only) and expiry headers; an
 *   installation token gets 403 there, as on GitHub;
 * - `GET /repos/{owner}/{repo}` for the smoke test (404 when the token cannot see it);
 * - `POST /credentials/revoke`: must be called WITHOUT authentication (403 otherwise), answers 202
 *   whatever it did, does not accept installation tokens, 60 calls an hour;
 * - `DELETE /installation/token`: an installation token revoking itself (204);
 * - `GET /installation/repositories`: what an installation token can see;
 * - `POST /app/installations/{id}/access_tokens`, `GET /app`, `GET /app/installations/{id}`: with
 *   an App JWT (RS256, `iss` = App id, `iat`/`exp` at most 10 minutes apart), verified against the
 *   App's public key; minted tokens are long (`ghs_<app id>_<JWT-like>`, ~520 characters) like
 *   GitHub's new format, limited to the requested repositories and permissions.
 * - `GET /repos/{owner}/{repo}/actions/secrets/public-key` and `PUT .../actions/secrets/{name}`:
 *   the sealed box is really opened with the repository's key (422 when it does not open);
 *   installation tokens need `secrets: write`.
 * Unknown routes are 404 "Not Found"; every answer is JSON with GitHub's media type.
 */
export class FakeGitHub {
  /** Every request: method, path, whether its token was accepted, and whether it carried auth. */
  readonly requests: { method: string; path: string; authorized: boolean; authenticated: boolean; token?: string }[] = [];
  /** Tokens revoked so far (through either revocation route). */
  readonly revoked = new Set<string>();
  /** Installation tokens minted, newest last. */
  readonly minted: { token: string; permissions: Record<string, string>; repositories: string[] }[] = [];
  private readonly tokens = new Map<string, FakeTokenInfo>();
  private readonly repositories = new Set<string>();
  private readonly apps: { app: FakeApp; key: KeyObject }[] = [];
  private readonly holds: Hold[] = [];
  private revokeCalls: number[] = [];
  /** The repositories' Actions secret key pair: sealed boxes are really opened with it. */
  private readonly actionsKey = nacl.box.keyPair();
  private readonly actionsKeyId = "5678" + randomBytes(6).toString("hex");
  /** Actions secrets as GitHub stored them, opened: `owner/name SECRET` → value. */
  readonly actionsSecrets = new Map<string, string>();

  private constructor(private readonly server: Server, readonly apiUrl: string) {}

  /** Starts the server; `tokens` maps each valid token to the login it belongs to (or its facts). */
  static async start(tokens: Record<string, string | FakeTokenInfo> = {}, options: { repositories?: string[] } = {}): Promise<FakeGitHub> {
    let fake: FakeGitHub | undefined;
    const server = createServer((request, response) => void fake!.handle(request, response));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    fake = new FakeGitHub(server, `http://127.0.0.1:${port}`);
    for (const [token, info] of Object.entries(tokens)) fake.addToken(token, typeof info === "string" ? { login: info } : info);
    for (const repository of options.repositories ?? []) fake.addRepository(repository);
    return fake;
  }

  async stop(): Promise<void> {
    for (const hold of this.holds) hold.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addToken(token: string, info: FakeTokenInfo): void {
    const kind = info.kind ?? (token.startsWith("github_pat_") ? "fine-grained" : token.startsWith("ghs_") ? "installation" : "classic");
    this.tokens.set(token, { ...info, kind });
  }

  addRepository(fullName: string): void {
    this.repositories.add(fullName.toLowerCase());
  }

  addApp(app: FakeApp): void {
    this.apps.push({ app, key: createPublicKey(app.publicKeyPem) });
  }

  /** Whether GitHub would still accept this token. */
  isAlive(token: string): boolean {
    return this.tokens.has(token) && !this.revoked.has(token);
  }

  /** Holds the next request that matches until released: the test can kill gaia meanwhile. */
  hold(match: (request: { method: string; path: string; token?: string }) => boolean): HeldRequest {
    let arrivedResolve!: () => void;
    const arrived = new Promise<void>((resolve) => (arrivedResolve = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const hold: Hold = { match, arrivedResolve, released, release, taken: false };
    this.holds.push(hold);
    return { arrived, release };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? "GET";
    const path = (request.url ?? "/").split("?")[0];
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const bodyText = Buffer.concat(chunks).toString();
    const authorization = request.headers.authorization;
    const token = /^(?:token|Bearer) (\S+)$/i.exec(authorization ?? "")?.[1];
    const hold = this.holds.find((h) => !h.taken && h.match({ method, path, token }));
    if (hold) {
      hold.taken = true;
      hold.arrivedResolve();
      await hold.released;
      if (response.destroyed || request.socket.destroyed) return;
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (response.destroyed) return;
      response.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-github-media-type": "github.v3; format=json", ...headers });
      response.end(body === undefined ? "" : JSON.stringify(body));
    };
    const error = (status: number, message: string) => send(status, { message, documentation_url: "https://docs.github.com/rest", status: String(status) });
    const body = (): Record<string, unknown> => {
      try {
        return JSON.parse(bodyText || "{}") as Record<string, unknown>;
      } catch {
        return {};
      }
    };

    // Revocation of PATs: no authentication allowed, always 202, rate limited.
    if (method === "POST" && path === "/credentials/revoke") {
      this.requests.push({ method, path, authorized: false, authenticated: authorization !== undefined });
      if (authorization !== undefined) return error(403, "Must not be authenticated to revoke credentials");
      const now = Date.now();
      this.revokeCalls = this.revokeCalls.filter((t) => now - t < 3_600_000);
      if (this.revokeCalls.length >= REVOKE_LIMIT_PER_HOUR) return error(429, "API rate limit exceeded");
      this.revokeCalls.push(now);
      const credentials = body().credentials;
      if (!Array.isArray(credentials) || credentials.length === 0 || credentials.length > 1000) return error(422, "Validation Failed");
      for (const credential of credentials) {
        const info = typeof credential === "string" ? this.tokens.get(credential) : undefined;
        // Installation tokens are not accepted here (they revoke themselves); nothing says so.
        if (info && info.kind !== "installation") this.revoked.add(credential as string);
      }
      return send(202, {});
    }

    // The App's own routes take a JWT.
    if (path === "/app" || path.startsWith("/app/")) {
      const app = token ? this.verifyJwt(token) : undefined;
      this.requests.push({ method, path, authorized: app !== undefined, authenticated: authorization !== undefined });
      if (!app) return error(401, "A JSON web token could not be decoded");
      if (method === "GET" && path === "/app") return send(200, { id: app.appId, slug: app.slug, owner: { login: app.account }, name: app.slug });
      const installation = /^\/app\/installations\/(\d+)(\/access_tokens)?$/.exec(path);
      if (!installation || Number(installation[1]) !== app.installationId) return error(404, "Not Found");
      if (method === "GET" && !installation[2]) return send(200, { id: app.installationId, app_id: app.appId, account: { login: app.account, type: "User" } });
      if (method === "POST" && installation[2]) return this.mint(app, body(), send, error);
      return error(404, "Not Found");
    }

    const info = token === undefined ? undefined : this.tokens.get(token);
    const alive = info !== undefined && !this.revoked.has(token!);
    this.requests.push({ method, path, authorized: alive, authenticated: authorization !== undefined, token });
    if (!alive) return error(401, "Bad credentials");
    const tokenHeaders: Record<string, string> = {};
    if (info.kind === "classic") tokenHeaders["x-oauth-scopes"] = (info.scopes ?? []).join(", ");
    if (info.expiration) tokenHeaders["github-authentication-token-expiration"] = info.expiration;

    if (method === "GET" && path === "/user") {
      if (info.kind === "installation") return error(403, "Resource not accessible by integration");
      return send(200, { login: info.login, id: info.accountId ?? accountIdOf(info.login), type: "User" }, tokenHeaders);
    }
    const repo = /^\/repos\/([\w.-]+)\/([\w.-]+)$/.exec(path);
    if (method === "GET" && repo) {
      const fullName = `${repo[1]}/${repo[2]}`.toLowerCase();
      const visible = this.repositories.has(fullName) && (!info.repositories || info.repositories.map((r) => r.toLowerCase()).includes(fullName));
      if (!visible) return error(404, "Not Found");
      return send(200, { full_name: `${repo[1]}/${repo[2]}`, private: true }, tokenHeaders);
    }
    const secrets = /^\/repos\/([\w.-]+)\/([\w.-]+)\/actions\/secrets\/(public-key|[A-Za-z_][A-Za-z0-9_]*)$/.exec(path);
    if (secrets) {
      const fullName = `${secrets[1]}/${secrets[2]}`.toLowerCase();
      if (!this.repositories.has(fullName)) return error(404, "Not Found");
      const granted = this.minted.find((m) => m.token === token)?.permissions.secrets === "write" || info.kind === "fine-grained" || (info.scopes ?? []).includes("repo");
      if (!granted) return error(403, "Resource not accessible by integration");
      if (method === "GET" && secrets[3] === "public-key") return send(200, { key_id: this.actionsKeyId, key: Buffer.from(this.actionsKey.publicKey).toString("base64") });
      if (method === "PUT" && secrets[3] !== "public-key") {
        const { encrypted_value, key_id } = body() as { encrypted_value?: string; key_id?: string };
        if (key_id !== this.actionsKeyId || typeof encrypted_value !== "string") return error(422, "Validation Failed");
        const opened = openSealedBox(Buffer.from(encrypted_value, "base64"), this.actionsKey.publicKey, this.actionsKey.secretKey);
        if (!opened) return error(422, "Bad encrypted value");
        const key = `${fullName} ${secrets[3]}`;
        const existed = this.actionsSecrets.has(key);
        this.actionsSecrets.set(key, Buffer.from(opened).toString());
        response.writeHead(existed ? 204 : 201, { "content-type": "application/json; charset=utf-8" });
        return void response.end(existed ? "" : "{}");
      }
      return error(404, "Not Found");
    }
    if (method === "DELETE" && path === "/installation/token") {
      if (info.kind !== "installation") return error(403, "Resource not accessible by personal access token");
      this.revoked.add(token!);
      response.writeHead(204);
      return void response.end();
    }
    if (method === "GET" && path === "/installation/repositories") {
      if (info.kind !== "installation") return error(403, "Resource not accessible by personal access token");
      const repositories = (info.repositories ?? [...this.repositories]).map((fullName) => ({ full_name: fullName }));
      return send(200, { total_count: repositories.length, repositories });
    }
    error(404, "Not Found");
  }

  private mint(
    app: FakeApp,
    request: Record<string, unknown>,
    send: (status: number, body: unknown) => void,
    error: (status: number, message: string) => void,
  ): void {
    const names = Array.isArray(request.repositories) ? (request.repositories as unknown[]).map(String) : undefined;
    const repositories = names ? names.map((name) => `${app.account}/${name}`.toLowerCase()) : [...this.repositories];
    if (names && repositories.some((r) => !this.repositories.has(r))) return error(422, "There is at least one repository that does not exist or is not accessible to the parent installation.");
    const permissions = (request.permissions ?? { metadata: "read", contents: "read" }) as Record<string, string>;
    // GitHub's new installation token format: ghs_<app id>_<a JWT-like string>, about 520 characters.
    const token = `ghs_${app.appId}_${randomBytes(380).toString("base64url")}`;
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    this.addToken(token, { login: `${app.slug}[bot]`, kind: "installation", repositories });
    this.minted.push({ token, permissions, repositories });
    send(201, { token, expires_at: expiresAt, permissions, repository_selection: "selected", repositories: repositories.map((full_name) => ({ full_name })) });
  }

  /** The App a JWT belongs to, when its signature, issuer and times are valid. */
  private verifyJwt(jwt: string): FakeApp | undefined {
    const parts = jwt.split(".");
    if (parts.length !== 3) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0], "base64url").toString()) as { alg?: string };
      const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString()) as { iss?: unknown; iat?: number; exp?: number };
      if (header.alg !== "RS256") return undefined;
      const now = Math.floor(Date.now() / 1000);
      if (typeof claims.iat !== "number" || typeof claims.exp !== "number") return undefined;
      if (claims.iat > now + 60 || claims.exp <= now || claims.exp - claims.iat > 600) return undefined;
      const found = this.apps.find(({ app }) => String(app.appId) === String(claims.iss));
      if (!found) return undefined;
      const verifier = createVerify("RSA-SHA256");
      verifier.update(`${parts[0]}.${parts[1]}`);
      return verifier.verify(found.key, Buffer.from(parts[2], "base64url")) ? found.app : undefined;
    } catch {
      return undefined;
    }
  }
}

function accountIdOf(login: string): number {
  let id = 7;
  for (const ch of login) id = (id * 31 + ch.charCodeAt(0)) % 100_000_000;
  return id;
}
