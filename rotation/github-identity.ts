import { readFileSync } from "node:fs";
import type { Octokit } from "@octokit/rest";
import { Secret } from "../config/secret.js";
import { signAppJwt } from "./app-jwt.js";
import { RotationFailed } from "./rotation-errors.js";
import { parseScopes, parseTokenExpiration, tokenKindOf, type TokenFacts } from "./token-facts.js";

/** How long one GitHub call may take. */
const CALL_TIMEOUT_MS = 15_000;

/** The permissions an App installation token gets (from the configuration: see `appPermissions`). */
export type AppPermissions = Record<string, "read" | "write">;

/**
 * The machine identity that rotation works with: reads a token's facts, smoke-tests a token on
 * the repository, revokes an old token and checks that it is dead. `pat` tokens are made by a
 * human; an `app` mints its own.
 */
export interface GithubIdentity {
  readonly kind: "pat" | "app";
  /** Who a token is and what it may do; RotationFailed("invalid-token") when GitHub refuses it (401). */
  readFacts(token: Secret): Promise<TokenFacts>;
  /** The account new tokens must belong to when the old one cannot tell (app: the App's bot). */
  expectedLogin?(): Promise<string>;
  /** App only: a new installation token scoped to the repository and the configured permissions. */
  mint?(): Promise<{ token: Secret; facts: TokenFacts }>;
  /** A real read of `owner/name` with the token. */
  smokeTest(token: Secret, repository: string): Promise<void>;
  /** Revokes a token (PAT: unauthenticated POST /credentials/revoke; installation: DELETE /installation/token). */
  revoke(token: Secret): Promise<void>;
  /** Whether GitHub now refuses the token (401). */
  isDead(token: Secret): Promise<boolean>;
}

/**
 * Octokit against `GITHUB_API_URL`, quiet: gaia reports failures itself, without the token.
 * Octokit is loaded at the first call to GitHub, not at start: most monitors never rotate.
 */
export async function githubClient(apiUrl: string, auth?: string): Promise<Octokit> {
  const { Octokit } = await import("@octokit/rest");
  return new Octokit({
    ...(auth !== undefined ? { auth } : {}),
    baseUrl: apiUrl,
    request: { signal: AbortSignal.timeout(CALL_TIMEOUT_MS), retries: 0 },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

function statusOf(error: unknown): number | undefined {
  return (error as { status?: number }).status;
}

/** Turns an Octokit failure into a RotationFailed that names what happened, never the token. */
function failure(error: unknown, what: string, apiUrl: string): RotationFailed {
  const status = statusOf(error);
  if (status === 401) return new RotationFailed(`GitHub refused the token (401 Bad credentials) while ${what}: it is wrong, expired or revoked`, "invalid-token");
  if (status !== undefined) return new RotationFailed(`GitHub answered ${status} while ${what}: ${(error as Error).message.slice(0, 200)}`, "refused");
  return new RotationFailed(`cannot reach ${apiUrl} while ${what}: ${(error as Error).message.slice(0, 200)}`, "unreachable");
}

/** Shared by both identities: the smoke test and the 401 check. */
abstract class BaseIdentity {
  constructor(protected readonly apiUrl: string) {}

  async smokeTest(token: Secret, repository: string): Promise<void> {
    const [owner, repo] = repository.split("/");
    try {
      await (await githubClient(this.apiUrl, token.reveal())).request("GET /repos/{owner}/{repo}", { owner, repo });
    } catch (error) {
      throw failure(error, `reading ${repository}`, this.apiUrl);
    }
  }

  protected async answers401(route: string, token: Secret): Promise<boolean> {
    try {
      await (await githubClient(this.apiUrl, token.reveal())).request(route);
      return false;
    } catch (error) {
      const status = statusOf(error);
      if (status === 401) return true;
      if (status !== undefined) return false; // 403/404: GitHub still knows the token
      throw failure(error, "checking the old token", this.apiUrl);
    }
  }
}

/** A machine user's personal access token (fine-grained recommended), made by a human. */
export class PatIdentity extends BaseIdentity implements GithubIdentity {
  readonly kind = "pat" as const;

  async readFacts(token: Secret): Promise<TokenFacts> {
    try {
      const { data, headers } = await (await githubClient(this.apiUrl, token.reveal())).request("GET /user");
      const expiration = parseTokenExpiration(headers["github-authentication-token-expiration"] as string | undefined);
      return {
        login: data.login,
        accountId: Number(data.id),
        kind: tokenKindOf(token.reveal()),
        scopes: parseScopes(headers["x-oauth-scopes"] as string | undefined),
        expiresAt: expiration ?? null,
      };
    } catch (error) {
      throw failure(error, "reading who the token belongs to", this.apiUrl);
    }
  }

  /** GitHub's credential revocation: unauthenticated by design (an authenticated call gets 403); 202 whatever it did. */
  async revoke(token: Secret): Promise<void> {
    try {
      await (await githubClient(this.apiUrl)).request("POST /credentials/revoke", { credentials: [token.reveal()] });
    } catch (error) {
      throw failure(error, "revoking the old token", this.apiUrl);
    }
  }

  isDead(token: Secret): Promise<boolean> {
    return this.answers401("GET /user", token);
  }
}

/** A GitHub App installation: mints short-lived installation tokens by API, no human needed. */
export class AppIdentity extends BaseIdentity implements GithubIdentity {
  readonly kind = "app" as const;

  constructor(
    apiUrl: string,
    private readonly app: { appId: string; installationId: string; privateKeyFile: string },
    private readonly repository: string | undefined,
    private readonly permissions: AppPermissions,
    private readonly now: () => Date = () => new Date(),
  ) {
    super(apiUrl);
  }

  private jwtClient(): Promise<Octokit> {
    // Read at each use: the key file may be replaced while gaia runs.
    const key = readFileSync(this.app.privateKeyFile, "utf8");
    return githubClient(this.apiUrl, signAppJwt(this.app.appId, key, this.now()));
  }

  async expectedLogin(): Promise<string> {
    try {
      const { data } = await (await this.jwtClient()).request("GET /app");
      return `${data!.slug}[bot]`;
    } catch (error) {
      throw failure(error, "reading the App (check GITHUB_APP_ID and the key file)", this.apiUrl);
    }
  }

  async mint(): Promise<{ token: Secret; facts: TokenFacts }> {
    const login = await this.expectedLogin();
    try {
      const { data } = await (await this.jwtClient()).request("POST /app/installations/{installation_id}/access_tokens", {
        installation_id: Number(this.app.installationId),
        ...(this.repository ? { repositories: [this.repository.split("/")[1]] } : {}),
        permissions: this.permissions,
      });
      return {
        token: new Secret(data.token),
        facts: { login, kind: "installation", scopes: null, permissions: data.permissions as Record<string, string>, expiresAt: new Date(data.expires_at) },
      };
    } catch (error) {
      throw failure(error, "minting an installation token", this.apiUrl);
    }
  }

  /** An installation token cannot ask GET /user; what it can see tells that it is alive. */
  async readFacts(token: Secret): Promise<TokenFacts> {
    try {
      const { headers } = await (await githubClient(this.apiUrl, token.reveal())).request("GET /installation/repositories", { per_page: 1 });
      const expiration = parseTokenExpiration(headers["github-authentication-token-expiration"] as string | undefined);
      return { login: await this.expectedLogin(), kind: tokenKindOf(token.reveal()), scopes: null, expiresAt: expiration ?? null };
    } catch (error) {
      if (error instanceof RotationFailed) throw error;
      throw failure(error, "reading the installation token", this.apiUrl);
    }
  }

  /** An installation token revokes itself; GitHub's credential revocation does not take `ghs_` tokens. */
  async revoke(token: Secret): Promise<void> {
    try {
      await (await githubClient(this.apiUrl, token.reveal())).request("DELETE /installation/token");
    } catch (error) {
      if (statusOf(error) === 401) return; // already dead (expired within the hour, or revoked before a crash)
      throw failure(error, "revoking the old installation token", this.apiUrl);
    }
  }

  isDead(token: Secret): Promise<boolean> {
    return this.answers401("GET /installation/repositories", token);
  }
}

/** The installation token's permissions: read the repository, and write its Actions secret when a store needs it. */
export function appPermissions(options: { writesActionsSecret: boolean }): AppPermissions {
  return { metadata: "read", contents: "read", ...(options.writesActionsSecret ? { secrets: "write" } : {}) };
}
