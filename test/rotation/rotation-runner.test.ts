import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../config/secret.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { EnvFileStore } from "../../rotation/env-file-store.js";
import { PatIdentity } from "../../rotation/github-identity.js";
import { RotationRunner } from "../../rotation/rotation-runner.js";
import { TokenStages } from "../../rotation/token-stages.js";
import { FakeGitHub } from "../fakes/github.js";
import { tempDatabase } from "../helpers/temp-database.js";
import { fakeToken } from "../e2e/rotation-harness.js";

/** The state machine in-process, against the fake GitHub and a real gaia.db. */
describe("the rotation state machine", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(now: () => Date = () => new Date()) {
    const github = await FakeGitHub.start({}, { repositories: ["acme/site"] });
    cleanups.push(() => github.stop());
    const db = await tempDatabase();
    cleanups.push(() => db.close());
    const dir = mkdtempSync(join(tmpdir(), "gaia-runner-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const old = fakeToken("ghp_");
    github.addToken(old, { login: "gaia-machine", accountId: 1, scopes: ["repo"] });
    const envFile = join(dir, ".env");
    writeFileSync(envFile, `GITHUB_TOKEN=${old}\n`, { mode: 0o600 });
    const store = new EnvFileStore(envFile);
    let current: Secret | undefined = new Secret(old);
    const runner = new RotationRunner({
      dataSource: db.dataSource,
      audit: new AuditTrail(db.dataSource, now),
      identity: new PatIdentity(github.apiUrl),
      stores: [store],
      stages: new TokenStages(join(dir, "rotation-stages.json")),
      repository: "acme/site",
      needs: { repository: "acme/site", writesActionsSecret: false },
      current: { get: () => current, set: (token) => (current = token) },
      logger: pino({ level: "silent" }),
      now,
    });
    return { github, runner, store, old, dir };
  }

  it("rolls back when the smoke test fails (the new token cannot read the repository): old token back in the store, not revoked", async () => {
    const { github, runner, store, old } = await setup();
    const fresh = fakeToken("github_pat_");
    github.addToken(fresh, { login: "gaia-machine", accountId: 1, repositories: ["acme/other"] });
    const row = await runner.request({ trigger: "chat", actor: "test" });
    await runner.stage(row.id, new Secret(fresh), "test");
    await runner.verify(row.id, "test");
    await runner.approve(row.id, "test");
    await expect(runner.complete(row.id, "test")).rejects.toThrow(/smoke test failed: GitHub answered 404/);
    expect((await store.readBack())?.reveal()).toBe(old);
    expect(github.isAlive(old)).toBe(true);
    expect(github.requests.some((r) => r.path === "/credentials/revoke")).toBe(false);
    expect((await runner.find(row.id))?.outcome).toBe("rolled-back");
  });

  it("refuses a second rotation while one is in progress", async () => {
    const { runner } = await setup();
    await runner.request({ trigger: "chat", actor: "test" });
    await expect(runner.request({ trigger: "chat", actor: "test" })).rejects.toThrow(/is in progress/);
  });

  it("rolls back a /rotate flow abandoned before its approval, and leaves a recent one alone", async () => {
    let clock = new Date("2026-12-01T09:00:00Z");
    const { github, runner } = await setup(() => clock);
    const fresh = fakeToken("github_pat_");
    github.addToken(fresh, { login: "gaia-machine", accountId: 1 });
    const row = await runner.request({ trigger: "chat", actor: "test" });
    await runner.stage(row.id, new Secret(fresh), "test");
    clock = new Date(clock.getTime() + 10 * 60_000);
    expect(await runner.rollBackAbandoned(30 * 60_000)).toEqual([]);
    clock = new Date(clock.getTime() + 30 * 60_000);
    const [abandoned] = await runner.rollBackAbandoned(30 * 60_000);
    expect(abandoned).toMatchObject({ id: row.id, outcome: "rolled-back", error: "the /rotate flow was abandoned (no answer)" });
  });
});
