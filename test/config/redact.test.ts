import { describe, expect, it } from "vitest";
import { createRedactor, MIN_KNOWN_SECRET_LENGTH, redactSecrets, secretValuesOf } from "../../config/redact.js";
import { Secret } from "../../config/secret.js";
import type { GaiaEnvironment } from "../../config/types.js";

describe("redacting secrets from text", () => {
  it.each([
    ["a GitHub classic token", "token ghp_" + "a".repeat(36) + " used"],
    ["a fine-grained GitHub token", "github_pat_" + "B".repeat(70)],
    ["a Telegram bot token", "url https://api.telegram.org/bot123456789:" + "C".repeat(35) + "/getMe"],
    ["a Telegram bot token with a 14-digit bot id", "token 12345678901234:" + "C".repeat(35)],
    ["a bearer header", "Authorization: Bearer abcdefghijklmnop1234567890"],
    ["a fake private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"],
  ])("hides %s", (_kind, text) => {
    const out = redactSecrets(text);
    expect(out).toContain("[REDACTED]");
    expect(out).not.toMatch(/ghp_a|github_pat_B|CCCCCCCC|abcdefghijklmnop|MIIEow/);
  });

  it("hides GitHub's long installation tokens (ghs_<app id>_<JWT>) whole, not just their first part", () => {
    const jwtLike = "eyJhbGciOiJSUzI1NiJ9." + "x".repeat(300) + "." + "Y-_".repeat(60);
    const out = redactSecrets(`token=ghs_123456_${jwtLike} end`);
    expect(out).toBe("token=[REDACTED] end");
  });

  it(`hides known secret values of ${MIN_KNOWN_SECRET_LENGTH}+ characters wherever they appear, and leaves short ones`, () => {
    expect(redactSecrets("backup pw=hunter2hunter2 ok", ["hunter2hunter2", "abc"])).toBe("backup pw=[REDACTED] ok");
    expect(redactSecrets("abc is fine", ["abc"])).toBe("abc is fine");
    expect(redactSecrets("dump with s3cr3t in it", ["s3cr3t"])).toBe("dump with [REDACTED] in it");
    expect(redactSecrets("port 5432, level debug", ["5432", "debug"])).toBe("port 5432, level debug");
  });

  it("takes out the longer of two overlapping known values whole", () => {
    expect(redactSecrets("key abcdef123456 end", ["abcdef", "abcdef123456"])).toBe("key [REDACTED] end");
  });

  it("takes known values literally, not as patterns", () => {
    expect(redactSecrets("a.b*c+d? and aXbbc", ["a.b*c+d?"])).toBe("[REDACTED] and aXbbc");
  });

  it.each([
    ["mysqldump --password=Sup3rSecret db", "mysqldump --password=[REDACTED] db"],
    ["mysqldump --password Sup3rSecret db", "mysqldump --password [REDACTED] db"],
    ['pg_dump --password "two words" db', "pg_dump --password [REDACTED] db"],
    ["app --api-token=abc123xyz --verbose", "app --api-token=[REDACTED] --verbose"],
    ["app --token abc123xyz", "app --token [REDACTED]"],
    ["app --db-password=x1", "app --db-password=[REDACTED]"],
    ["app --client_secret=x1 --secret y2", "app --client_secret=[REDACTED] --secret [REDACTED]"],
    ["mysql -uroot -pSup3rSecret shop", "mysql -uroot -p[REDACTED] shop"],
    ["/usr/bin/mariadb-dump -h db -pSup3rSecret", "/usr/bin/mariadb-dump -h db -p[REDACTED]"],
    ["sshpass -p Sup3rSecret ssh host", "sshpass -p [REDACTED] ssh host"],
    ["curl -H 'Authorization: Bearer abc' https://x", "curl -H 'Authorization: Bearer [REDACTED]' https://x"],
    ["curl -H 'Authorization: Basic dXNlcjpwdw==' x", "curl -H 'Authorization: Basic [REDACTED]' x"],
    ["curl -H 'X-Api-Key: k3y' x", "curl -H 'X-Api-Key: [REDACTED]' x"],
    ["rsync mysql://root:Sup3rSecret@db/shop", "rsync mysql://root:[REDACTED]@db/shop"],
    ["git clone https://bot:Sup3rSecret@example.com/r.git", "git clone https://bot:[REDACTED]@example.com/r.git"],
    ["PGPASSWORD=Sup3rSecret psql", "PGPASSWORD=[REDACTED] psql"],
    ["MYSQL_PWD=Sup3rSecret mysql", "MYSQL_PWD=[REDACTED] mysql"],
    ["GET /x?access_token=abc&page=2", "GET /x?access_token=[REDACTED]&page=2"],
  ])("hides the value of a secret flag or setting: %s", (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it.each([
    "mkdir -p /srv/backup",
    "ssh -p 2222 host",
    "node server.js --port 8080 -p 3000",
    "docker login --password-stdin -u bot registry",
    "tar --passive -czf out.tgz",
    "https://example.com/path?page=2",
    "sleep 300",
  ])("leaves ordinary command lines alone: %s", (text) => {
    expect(redactSecrets(text)).toBe(text);
  });
});

describe("the values a redactor knows", () => {
  const env = (dotenv: Record<string, string>, own: Partial<GaiaEnvironment> = {}): GaiaEnvironment => ({
    telegramApiRoot: "https://api.telegram.org",
    githubApiUrl: "https://api.github.com",
    logLevel: "info",
    dotenv: Object.fromEntries(Object.entries(dotenv).map(([k, v]) => [k, new Secret(v)])),
    ...own,
  });

  it("are the values of .private/.env, gaia's own tokens and the API token, not gaia's settings", () => {
    const values = secretValuesOf(
      env({ MYSQL_PASSWORD: "Sup3rSecret", TELEGRAM_API_ROOT: "http://127.0.0.1:9000", LOG_LEVEL: "debug", GAIA_HOME: "/srv/gaia" }, { apiToken: new Secret("from-the-environment-123") }),
      new Secret("api-token-file-value"),
    );
    expect(values).toEqual(expect.arrayContaining(["Sup3rSecret", "from-the-environment-123", "api-token-file-value"]));
    expect(values).not.toContain("http://127.0.0.1:9000");
    expect(values).not.toContain("/srv/gaia");
    const redact = createRedactor(values);
    expect(redact("home /srv/gaia, pw Sup3rSecret")).toBe("home /srv/gaia, pw [REDACTED]");
  });
});
