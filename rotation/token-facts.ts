/**
 * What reading a token tells: who it is, what kind of token, what it may do and when it expires.
 * Pure functions from GitHub's answers to facts and least-privilege warnings.
 */

/** The kinds of GitHub tokens gaia tells apart, by prefix. */
export type TokenKind = "classic" | "fine-grained" | "installation" | "unknown";

export interface TokenFacts {
  /** The account the token acts as (`machine-user`, or `my-app[bot]` for an installation token). */
  login: string;
  /** The account's numeric id, when GitHub says it. */
  accountId?: number;
  kind: TokenKind;
  /** Classic tokens: the scopes of `X-OAuth-Scopes`; null when GitHub sends none (fine-grained, installation). */
  scopes: string[] | null;
  /** Installation tokens: the permissions GitHub granted. */
  permissions?: Record<string, string>;
  /** When the token expires; null for a token without expiry. */
  expiresAt: Date | null;
}

/** The kind of a token, from its prefix (`ghp_`, `github_pat_`, `ghs_`). */
export function tokenKindOf(token: string): TokenKind {
  if (token.startsWith("github_pat_")) return "fine-grained";
  if (token.startsWith("ghp_")) return "classic";
  if (token.startsWith("ghs_")) return "installation";
  return "unknown";
}

/** `X-OAuth-Scopes: repo, read:org` → ["repo", "read:org"]; an absent header → null. */
export function parseScopes(header: string | undefined): string[] | null {
  if (header === undefined) return null;
  return header
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * `GitHub-Authentication-Token-Expiration` in either form GitHub sends: `2026-10-07 19:07:53 UTC`
 * or with a numeric offset, `2026-10-07 19:07:53 +0200`. Undefined when absent or unreadable.
 */
export function parseTokenExpiration(header: string | undefined): Date | undefined {
  if (!header) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2})$/i.exec(header.trim());
  if (!m) return undefined;
  const zone = /^(UTC|GMT|Z)$/i.test(m[3]) ? "Z" : `${m[3].slice(0, 3)}:${m[3].slice(-2)}`;
  const at = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** Classic scopes gaia may need: reading the repository and writing its Actions secret. */
const NEEDED_CLASSIC_SCOPES = new Set(["repo", "public_repo"]);

/** What the configured rotation needs the token to do, for the warnings. */
export interface TokenNeeds {
  /** The repository the smoke test reads. */
  repository?: string;
  /** Whether a `github-actions` store writes a secret (needs Secrets: write). */
  writesActionsSecret: boolean;
}

/**
 * Least-privilege warnings for a token: scopes broader than the configured needs (e.g.
 * `admin:org`, `delete_repo` on a classic token), a classic token where a fine-grained one would do,
 * a token that never expires, and one that expires soon. Each warning is one sentence.
 */
export function leastPrivilegeWarnings(facts: TokenFacts, needs: TokenNeeds, now: Date, warnAheadMs = 7 * 86_400_000): string[] {
  const warnings: string[] = [];
  if (facts.kind === "classic") {
    const broader = (facts.scopes ?? []).filter((scope) => !NEEDED_CLASSIC_SCOPES.has(scope));
    if (broader.length) warnings.push(`scopes broader than gaia needs: ${broader.join(", ")} (it needs only repo)`);
    warnings.push("a classic token reaches every repository of the account; a fine-grained token can be limited to one");
  }
  if (facts.permissions) {
    const allowed = new Set(["metadata", "contents", ...(needs.writesActionsSecret ? ["secrets"] : [])]);
    const extra = Object.entries(facts.permissions).filter(([name]) => !allowed.has(name));
    if (extra.length) warnings.push(`permissions broader than gaia needs: ${extra.map(([n, level]) => `${n}: ${level}`).join(", ")}`);
    const contentsWrite = facts.permissions.contents === "write";
    if (contentsWrite) warnings.push("contents: write is more than the smoke test needs (read)");
  }
  if (facts.kind !== "installation" && facts.expiresAt === null) warnings.push("the token never expires; give it an expiry (90 days or less)");
  // Installation tokens live an hour by design; their expiry is no news.
  if (facts.kind !== "installation" && facts.expiresAt && facts.expiresAt.getTime() - now.getTime() < warnAheadMs) {
    warnings.push(facts.expiresAt.getTime() <= now.getTime() ? "the token has expired" : `the token expires on ${facts.expiresAt.toISOString().slice(0, 10)}`);
  }
  return warnings;
}

/** Whether two tokens' facts are the same account (by id when both have one, else by login). */
export function sameAccount(a: Pick<TokenFacts, "login" | "accountId">, b: Pick<TokenFacts, "login" | "accountId">): boolean {
  if (a.accountId !== undefined && b.accountId !== undefined) return a.accountId === b.accountId;
  return a.login.toLowerCase() === b.login.toLowerCase();
}
