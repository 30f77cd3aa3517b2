import { describe, expect, it } from "vitest";
import { deferCleanups } from "../helpers/cleanups.js";
import { ADMIN, fakeToken, REPOSITORY, rotationHome, type RotationHome } from "./rotation-harness.js";

/**
 * An App identity with `approval: auto` rotates by itself when the schedule falls due: the real
 * gaia process mints an installation token from the fake GitHub (JWT verified), writes it to
 * .private/.env, smoke-tests it, and only then revokes the old one; killed with SIGKILL at any
 * step, the next start finishes the rotation without losing the new token.
 */
describe("app identity: scheduled rotation", () => {
  const defer = deferCleanups();

  async function dueAppHome(): Promise<{ home: RotationHome; old: string }> {
    const old = fakeToken("ghs_");
    const home = await rotationHome({ identity: "app", oldToken: old, oldTokenInfo: { login: "gaia-bot[bot]", kind: "installation" }, due: true });
    defer(() => home.cleanup());
    return { home, old };
  }

  function expectFinished(home: RotationHome, old: string) {
    const minted = home.github.minted.at(-1)!.token;
    const current = home.envValue("GITHUB_TOKEN")!;
    expect(home.github.minted.map((m) => m.token)).toContain(current);
    expect(home.github.isAlive(current)).toBe(true);
    expect(home.github.isAlive(old)).toBe(false);
    expect(home.envMode()).toBe(0o600);
    // The old token was revoked only after a smoke test with the new one.
    const requests = home.github.requests;
    const revokedAt = requests.findIndex((r) => r.method === "DELETE" && r.path === "/installation/token" && r.token === old);
    const smokeAt = requests.findIndex((r) => r.method === "GET" && r.path === `/repos/${REPOSITORY}` && r.token === current && r.authorized);
    expect(smokeAt).toBeGreaterThanOrEqual(0);
    expect(revokedAt).toBeGreaterThan(smokeAt);
    // Neither token in logs, gaia.db or .tmp/.
    const text = home.publicText();
    expect(text).not.toContain(old);
    expect(text).not.toContain(current);
    expect(text).not.toContain(minted);
  }

  it("mints, stores, smoke-tests, revokes the old token and reports, with the installation token scoped to the repository", async () => {
    const { home, old } = await dueAppHome();
    await home.start();
    await home.waitForRotation("done");
    expectFinished(home, old);
    const minted = home.github.minted.at(-1)!;
    expect(minted.repositories).toEqual([REPOSITORY]);
    expect(minted.permissions).toEqual({ metadata: "read", contents: "read" });
    expect(home.events().map((e) => e.kind)).toEqual([
      "rotation.due",
      "rotation.requested",
      "rotation.staged",
      "rotation.verified",
      "rotation.approved",
      "rotation.stored",
      "rotation.smoke-tested",
      "rotation.old-revoked",
      "rotation.old-dead",
      "rotation.done",
    ]);
    await home.tg.waitForMessage(/Token rotation #1 done/, { chatId: ADMIN, timeoutMs: 30_000 });
    // The running process uses the new token from now on, and the next rotation is a schedule away.
    const row = home.rotations()[0];
    expect(row.step).toBe("done");
  });

  it("writes the new token to a repository Actions secret as a sealed box GitHub can open, with secrets: write asked for", async () => {
    const old = fakeToken("ghs_");
    const home = await rotationHome({
      identity: "app",
      oldToken: old,
      oldTokenInfo: { login: "gaia-bot[bot]", kind: "installation" },
      due: true,
      stores: ["    - type: env-file", "    - type: github-actions", `      repository: ${REPOSITORY}`, "      secret: GAIA_GITHUB_TOKEN"],
    });
    defer(() => home.cleanup());
    await home.start();
    await home.waitForRotation("done");
    const minted = home.github.minted.at(-1)!;
    expect(minted.permissions).toEqual({ metadata: "read", contents: "read", secrets: "write" });
    expect(home.github.actionsSecrets.get(`${REPOSITORY} GAIA_GITHUB_TOKEN`)).toBe(minted.token);
    expectFinished(home, old);
  });

  // Each hold stops the process inside one step (the request is held, then SIGKILL).
  const crashPoints: { after: string; hold: (home: RotationHome, old: string) => ReturnType<RotationHome["github"]["hold"]> }[] = [
    { after: "requested", hold: (h) => h.github.hold((r) => r.method === "POST" && r.path.endsWith("/access_tokens")) },
    { after: "staged", hold: (h, old) => h.github.hold((r) => r.path === "/installation/repositories" && r.token !== undefined && r.token !== old) },
    { after: "stored", hold: (h) => h.github.hold((r) => r.path === `/repos/${REPOSITORY}`) },
    { after: "smoke-tested", hold: (h) => h.github.hold((r) => r.method === "DELETE" && r.path === "/installation/token") },
    { after: "old-revoked", hold: (h, old) => h.github.hold((r) => r.path === "/installation/repositories" && r.token === old && !h.github.isAlive(old)) },
  ];

  for (const point of crashPoints) {
    it(`killed with SIGKILL after step ${point.after}, it resumes on the next start and finishes`, async () => {
      const { home, old } = await dueAppHome();
      const held = point.hold(home, old);
      const first = await home.start();
      await held.arrived;
      expect(home.rotations().at(-1)!.step).toBe(point.after);
      await first.stop("SIGKILL");
      held.release();
      expect(home.github.isAlive(old) || point.after === "old-revoked").toBe(true);
      await home.start();
      await home.waitForRotation("done");
      expectFinished(home, old);
      expect(home.events().map((e) => e.kind)).toContain("rotation.resumed");
      await home.tg.waitForMessage(/resumed after a restart and finished/, { chatId: ADMIN, timeoutMs: 30_000 });
    });
  }
});
