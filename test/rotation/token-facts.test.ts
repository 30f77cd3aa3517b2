import { describe, expect, it } from "vitest";
import { leastPrivilegeWarnings, parseScopes, parseTokenExpiration, sameAccount, tokenKindOf, type TokenFacts } from "../../rotation/token-facts.js";

const NOW = new Date("2026-12-01T09:00:00Z");
const needs = { repository: "acme/site", writesActionsSecret: false };

describe("reading a token's facts", () => {
  it.each([
    ["2026-10-07 19:07:53 UTC", "2026-10-07T19:07:53.000Z"],
    ["2026-10-07 19:07:53 +0200", "2026-10-07T17:07:53.000Z"],
    ["2026-10-07 19:07:53 -0530", "2026-10-08T00:37:53.000Z"],
  ])("reads GitHub-Authentication-Token-Expiration %s", (header, iso) => {
    expect(parseTokenExpiration(header)?.toISOString()).toBe(iso);
  });

  it("gives no expiry for an absent or unreadable header", () => {
    expect(parseTokenExpiration(undefined)).toBeUndefined();
    expect(parseTokenExpiration("next tuesday")).toBeUndefined();
  });

  it("reads X-OAuth-Scopes, and tells no header (fine-grained) from no scopes", () => {
    expect(parseScopes("repo, admin:org,  delete_repo")).toEqual(["repo", "admin:org", "delete_repo"]);
    expect(parseScopes("")).toEqual([]);
    expect(parseScopes(undefined)).toBeNull();
  });

  it("tells token kinds by prefix", () => {
    expect(tokenKindOf("ghp_x")).toBe("classic");
    expect(tokenKindOf("github_pat_x")).toBe("fine-grained");
    expect(tokenKindOf("ghs_x")).toBe("installation");
  });
});

describe("least-privilege warnings", () => {
  const classic = (scopes: string[], expiresAt: Date | null = new Date("2027-03-01T00:00:00Z")): TokenFacts => ({ login: "m", kind: "classic", scopes, expiresAt });

  it("warns on classic scopes broader than repo, naming them", () => {
    const warnings = leastPrivilegeWarnings(classic(["repo", "admin:org", "delete_repo"]), needs, NOW);
    expect(warnings[0]).toBe("scopes broader than gaia needs: admin:org, delete_repo (it needs only repo)");
  });

  it("says a fine-grained token would be narrower, and warns on a token that never expires or expires within 7 days", () => {
    expect(leastPrivilegeWarnings(classic(["repo"]), needs, NOW)).toEqual([expect.stringMatching(/fine-grained token can be limited/)]);
    expect(leastPrivilegeWarnings({ login: "m", kind: "fine-grained", scopes: null, expiresAt: null }, needs, NOW)).toEqual([expect.stringMatching(/never expires/)]);
    expect(leastPrivilegeWarnings({ login: "m", kind: "fine-grained", scopes: null, expiresAt: new Date("2026-12-05T00:00:00Z") }, needs, NOW)).toEqual(["the token expires on 2026-12-05"]);
  });

  it("warns on installation permissions beyond what the stores need, never on the hour-long expiry", () => {
    const facts: TokenFacts = { login: "b[bot]", kind: "installation", scopes: null, permissions: { metadata: "read", contents: "read", administration: "write" }, expiresAt: new Date(NOW.getTime() + 3_600_000) };
    expect(leastPrivilegeWarnings(facts, needs, NOW)).toEqual(["permissions broader than gaia needs: administration: write"]);
    expect(leastPrivilegeWarnings({ ...facts, permissions: { metadata: "read", secrets: "write" } }, { ...needs, writesActionsSecret: true }, NOW)).toEqual([]);
  });

  it("compares accounts by id when both have one", () => {
    expect(sameAccount({ login: "a", accountId: 1 }, { login: "A", accountId: 1 })).toBe(true);
    expect(sameAccount({ login: "a", accountId: 1 }, { login: "a", accountId: 2 })).toBe(false);
    expect(sameAccount({ login: "Machine" }, { login: "machine" })).toBe(true);
  });
});
