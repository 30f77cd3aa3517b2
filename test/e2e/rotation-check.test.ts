import { describe, expect, it } from "vitest";
import { deferCleanups } from "../helpers/cleanups.js";
import { runGaia } from "../helpers/gaia-process.js";
import { ADMIN, fakeToken, rotationHome } from "./rotation-harness.js";

/** GitHub's expiry header form with a UTC zone, `days` from now. */
function expiringIn(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

/** What gaia tells about the GitHub identity outside a rotation: `gaia check`, the expiry warning, /status. */
describe("the GitHub identity's facts", () => {
  const defer = deferCleanups();

  it("gaia check shows a classic token's account, scopes and expiry and warns on scopes broader than needed", async () => {
    const old = fakeToken("ghp_");
    const home = await rotationHome({ identity: "pat", oldToken: old, oldTokenInfo: { login: "gaia-machine", scopes: ["repo", "admin:org", "delete_repo"], expiration: "2027-01-15 10:00:00 +0200" } });
    defer(() => home.cleanup());
    const { code, stdout } = await runGaia(["check"], { home: home.home, env: { TELEGRAM_BOT_TOKEN: "" } });
    expect(stdout).toMatch(/✓ github: GITHUB_TOKEN \(ghp_…\w{4} \(sha256:[0-9a-f]{8}\)\) belongs to gaia-machine: classic token, scopes repo, admin:org, delete_repo, expires 2027-01-15 08:00 UTC/);
    expect(stdout).toContain("⚠ github: scopes broader than gaia needs: admin:org, delete_repo (it needs only repo)");
    expect(stdout).not.toContain(old);
    expect(code === 0 || code === 1).toBe(true);
  });

  it("gaia check verifies the App's key with a signed JWT and names the permissions its tokens get", async () => {
    const home = await rotationHome({ identity: "app" });
    defer(() => home.cleanup());
    const { stdout } = await runGaia(["check"], { home: home.home });
    expect(stdout).toContain("✓ github: App gaia-bot[bot] (installation 777) accepts gaia's key; its tokens get metadata: read, contents: read on acme/site");
  });

  it("/rotate warns when GITHUB_TOKEN comes from the process environment, which would win over the rotated .private/.env", async () => {
    const old = fakeToken("github_pat_");
    const home = await rotationHome({ identity: "pat", oldToken: old, oldTokenInfo: { login: "gaia-machine", expiration: expiringIn(60) } });
    defer(() => home.cleanup());
    await home.start({ GITHUB_TOKEN: old });
    await home.tg.waitForPoll(15_000);
    const plan = home.tg.waitForMessage(/Rotate the GitHub token/, { chatId: ADMIN, newOnly: true, timeoutMs: 30_000 });
    home.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/rotate" });
    expect((await plan).plainText).toContain("GITHUB_TOKEN is set in gaia's process environment, which wins over .private/.env");
  });

  it("warns once, 7 days ahead, that the token expires, and /status shows the expiry and the next rotation", async () => {
    const old = fakeToken("github_pat_");
    const home = await rotationHome({ identity: "pat", oldToken: old, oldTokenInfo: { login: "gaia-machine", expiration: expiringIn(3) } });
    defer(() => home.cleanup());
    await home.start();
    const notice = await home.tg.waitForMessage(/The GitHub token expires/, { chatId: ADMIN, timeoutMs: 30_000 });
    expect(notice.plainText).toContain("/rotate");
    expect(home.events().map((e) => e.kind)).toEqual(["rotation.expiring"]);
    const status = home.tg.waitForMessage(/Heartbeat/, { chatId: ADMIN, newOnly: true, timeoutMs: 30_000 });
    home.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/status" });
    const text = (await status).plainText;
    expect(text).toMatch(/next rotation/);
    expect(text).toMatch(/GitHub token expires/);
  });
});
