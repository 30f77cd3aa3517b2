import { describe, expect, it } from "vitest";
import type { SentMessage } from "../fakes/telegram.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { ADMIN, fakeToken, REPOSITORY, rotationHome, type RotationHome } from "./rotation-harness.js";

/**
 * /rotate for a machine user's PAT, as an admin lives it: the real gaia process against the
 * strict fake Telegram and fake GitHub. The pasted token's message is deleted, the token is
 * never echoed, and the old token dies only after the new one passed the smoke test.
 */
describe("pat identity: /rotate", () => {
  const defer = deferCleanups();

  async function patHome(options: { stores?: string[]; due?: boolean } = {}): Promise<{ home: RotationHome; old: string }> {
    const old = fakeToken("ghp_");
    const home = await rotationHome({
      identity: "pat",
      oldToken: old,
      oldTokenInfo: { login: "gaia-machine", accountId: 4711, scopes: ["repo", "admin:org"], expiration: "2027-01-15 10:00:00 +0200" },
      ...options,
    });
    defer(() => home.cleanup());
    await home.start();
    await home.tg.waitForPoll(15_000);
    return { home, old };
  }

  async function say(home: RotationHome, text: string, match: string | RegExp): Promise<SentMessage> {
    const waiting = home.tg.waitForMessage(match, { chatId: ADMIN, newOnly: true, timeoutMs: 30_000 });
    home.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text });
    return waiting;
  }

  async function press(home: RotationHome, message: SentMessage, label: string, then: string | RegExp): Promise<SentMessage> {
    const button = message.buttons.find((b) => b.text === label);
    expect(button, `no ${label} button on: ${message.plainText}`).toBeDefined();
    const waiting = home.tg.waitForMessage(then, { chatId: ADMIN, newOnly: true, timeoutMs: 30_000 });
    home.tg.pressButton({ chatId: ADMIN, messageId: message.messageId, fromId: ADMIN, data: button!.callbackData! });
    return waiting;
  }

  /** /rotate → Start → paste: resolves with the message that answers the pasted token. */
  async function pasteNewToken(home: RotationHome, token: string, answer: RegExp): Promise<SentMessage> {
    const plan = await say(home, "/rotate", /Rotate the GitHub token/);
    expect(plan.plainText).toContain("gaia-machine");
    const prompt = await press(home, plan, "Start", /Create the new token/);
    expect(prompt.text).toContain("settings/personal-access-tokens/new");
    return say(home, `here it is: ${token}`, answer);
  }

  function expectNoTokenLeaked(home: RotationHome, ...tokens: string[]) {
    const text = home.publicText();
    const sent = home.tg.messages(ADMIN).map((m) => [m.text, ...m.edits.map((e) => e.text)].join("\n")).join("\n");
    for (const token of tokens) {
      expect(text).not.toContain(token);
      expect(sent).not.toContain(token);
    }
  }

  it("rotates through the guided flow: facts and warnings, paste (deleted), Confirm, progress, summary; old token revoked last", async () => {
    const { home, old } = await patHome();
    const fresh = fakeToken("github_pat_");
    home.github.addToken(fresh, { login: "gaia-machine", accountId: 4711, expiration: "2027-03-01 00:00:00 UTC" });

    const plan = await say(home, "/rotate", /Rotate the GitHub token/);
    expect(plan.plainText).toMatch(/Scopes: repo, admin:org/);
    expect(plan.plainText).toMatch(/scopes broader than gaia needs: admin:org/);
    expect(plan.plainText).toMatch(/Expires: 2027-01-15 08:00 UTC/);
    const prompt = await press(home, plan, "Start", /Create the new token/);
    expect(prompt.plainText).toContain("gaia-machine");
    // A reply that is not a token gets help, not an error.
    await say(home, "where do I find it?", /does not look like a GitHub token/);
    const verification = await say(home, fresh, /New token verified/);
    const pasted = home.tg.userMessages(ADMIN).find((m) => m.text === fresh)!;
    expect(pasted.deleted).toBe(true);
    expect(verification.plainText).toContain("fine-grained personal access token");
    expect(home.envValue("GITHUB_TOKEN")).toBe(old); // nothing written before Confirm

    const summary = await press(home, verification, "Confirm", /Rotation #1 done/);
    expect(summary.plainText).toMatch(/Old token ghp_…/);
    const progress = home.tg.messages(ADMIN).find((m) => m.plainText.startsWith("Rotating"))!;
    expect(progress.edits.length).toBeGreaterThanOrEqual(4);
    expect(progress.plainText).toMatch(/✅ Done/);

    expect(home.envValue("GITHUB_TOKEN")).toBe(fresh);
    expect(home.envMode()).toBe(0o600);
    expect(home.github.isAlive(old)).toBe(false);
    expect(home.github.isAlive(fresh)).toBe(true);
    const requests = home.github.requests;
    const revoke = requests.findIndex((r) => r.method === "POST" && r.path === "/credentials/revoke");
    expect(requests[revoke].authenticated).toBe(false);
    expect(requests.findIndex((r) => r.path === `/repos/${REPOSITORY}` && r.token === fresh)).toBeLessThan(revoke);
    expect(home.rotations()).toMatchObject([{ step: "done", outcome: "done" }]);
    expect(home.events().map((e) => e.kind)).toEqual([
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
    expectNoTokenLeaked(home, old, fresh);
  });

  it("refuses a new token of another account: nothing changed, the old token alive", async () => {
    const { home, old } = await patHome();
    const foreign = fakeToken("github_pat_");
    home.github.addToken(foreign, { login: "someone-else", accountId: 999 });
    const refused = await pasteNewToken(home, foreign, /Token refused/);
    expect(refused.plainText).toContain("belongs to someone-else, not to gaia-machine");
    expect(home.envValue("GITHUB_TOKEN")).toBe(old);
    expect(home.github.isAlive(old)).toBe(true);
    expect(home.rotations()).toMatchObject([{ outcome: "rolled-back" }]);
    expect(home.events().map((e) => e.kind)).toContain("rotation.refused");
    expectNoTokenLeaked(home, old, foreign);
  });

  it("refuses an invalid new token: nothing changed, the old token alive", async () => {
    const { home, old } = await patHome();
    const unknown = fakeToken("github_pat_");
    const refused = await pasteNewToken(home, unknown, /Token refused/);
    expect(refused.plainText).toMatch(/401/);
    expect(home.envValue("GITHUB_TOKEN")).toBe(old);
    expect(home.github.isAlive(old)).toBe(true);
    expectNoTokenLeaked(home, old, unknown);
  });

  it("rolls back when a store fails: every store gets the old token back, and it is not revoked", async () => {
    const { home, old } = await patHome({ stores: ["    - type: env-file", "    - type: command", "      run: cat >/dev/null; echo vault is sealed >&2; exit 3"] });
    const fresh = fakeToken("github_pat_");
    home.github.addToken(fresh, { login: "gaia-machine", accountId: 4711 });
    const verification = await pasteNewToken(home, fresh, /New token verified/);
    const summary = await press(home, verification, "Confirm", /rolled back/);
    expect(summary.plainText).toMatch(/command cat failed \(exit code 3\): vault is sealed/);
    expect(home.envValue("GITHUB_TOKEN")).toBe(old);
    expect(home.github.isAlive(old)).toBe(true);
    expect(home.github.requests.some((r) => r.path === "/credentials/revoke")).toBe(false);
    expect(home.rotations()).toMatchObject([{ outcome: "rolled-back" }]);
    expectNoTokenLeaked(home, old, fresh);
  });

  it("killed with SIGKILL after the stores were written and before the revocation, it resumes on restart and finishes", async () => {
    const { home, old } = await patHome();
    const fresh = fakeToken("github_pat_");
    home.github.addToken(fresh, { login: "gaia-machine", accountId: 4711 });
    const held = home.github.hold((r) => r.method === "POST" && r.path === "/credentials/revoke");
    const verification = await pasteNewToken(home, fresh, /New token verified/);
    const button = verification.buttons.find((b) => b.text === "Confirm")!;
    home.tg.pressButton({ chatId: ADMIN, messageId: verification.messageId, fromId: ADMIN, data: button.callbackData! });
    await held.arrived;
    expect(home.rotations().at(-1)!.step).toBe("smoke-tested");
    expect(home.envValue("GITHUB_TOKEN")).toBe(fresh);
    await home.gaia!.stop("SIGKILL");
    held.release();
    expect(home.github.isAlive(old)).toBe(true);

    await home.start();
    await home.waitForRotation("done");
    await home.tg.waitForMessage(/resumed after a restart and finished/, { chatId: ADMIN, timeoutMs: 30_000 });
    expect(home.envValue("GITHUB_TOKEN")).toBe(fresh);
    expect(home.github.isAlive(old)).toBe(false);
    expect(home.github.isAlive(fresh)).toBe(true);
    expectNoTokenLeaked(home, old, fresh);
  });

  it("killed before the admin confirmed, it offers Resume / Roll back after the restart; Resume finishes the rotation", async () => {
    const { home, old } = await patHome();
    const fresh = fakeToken("github_pat_");
    home.github.addToken(fresh, { login: "gaia-machine", accountId: 4711 });
    const held = home.github.hold((r) => r.path === "/user" && r.token === fresh);
    const plan = await say(home, "/rotate", /Rotate the GitHub token/);
    await press(home, plan, "Start", /Create the new token/);
    home.tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: fresh });
    await held.arrived;
    expect(home.rotations().at(-1)!.step).toBe("staged");
    await home.gaia!.stop("SIGKILL");
    held.release();

    await home.start();
    const notice = await home.tg.waitForMessage(/was interrupted by a restart/, { chatId: ADMIN, timeoutMs: 30_000 });
    expect(notice.buttons.map((b) => b.text)).toEqual(["Resume", "Roll back"]);
    expect(home.envValue("GITHUB_TOKEN")).toBe(old);
    await press(home, notice, "Resume", /Rotation #1 done/);
    expect(home.envValue("GITHUB_TOKEN")).toBe(fresh);
    expect(home.github.isAlive(old)).toBe(false);
    expectNoTokenLeaked(home, old, fresh);
  });

  it("announces a due rotation with Start rotation / Snooze 1 day; Snooze answers until when", async () => {
    const { home } = await patHome({ due: true });
    const notice = await home.tg.waitForMessage(/GitHub token rotation is due/, { chatId: ADMIN, timeoutMs: 30_000 });
    expect(notice.buttons.map((b) => b.text)).toEqual(["Start rotation", "Snooze 1 day"]);
    const id = home.tg.pressButton({ chatId: ADMIN, messageId: notice.messageId, fromId: ADMIN, data: notice.buttons[1].callbackData! });
    const answer = await home.tg.waitForCallbackAnswer(id, 15_000);
    expect(String(answer.text)).toMatch(/^Snoozed until \d{4}-\d{2}-\d{2}/);
    expect(home.events().map((e) => e.kind)).toEqual(["rotation.due", "rotation.snoozed"]);
  });

  it("/cancel at the paste prompt leaves the flow and rolls the rotation back", async () => {
    const { home, old } = await patHome();
    const plan = await say(home, "/rotate", /Rotate the GitHub token/);
    await press(home, plan, "Start", /Create the new token/);
    await say(home, "/cancel", /Rotation cancelled; nothing changed/);
    expect(home.rotations()).toMatchObject([{ outcome: "rolled-back" }]);
    expect(home.envValue("GITHUB_TOKEN")).toBe(old);
    // The flow is over: a token-looking text now is just a message, and /cancel has nothing to cancel.
    await say(home, "/cancel", /Nothing to cancel/);
  });

  it("Start rotation on the due notice opens the guided flow", async () => {
    const { home } = await patHome({ due: true });
    const notice = await home.tg.waitForMessage(/GitHub token rotation is due/, { chatId: ADMIN, timeoutMs: 30_000 });
    await press(home, notice, "Start rotation", /Rotate the GitHub token/);
  });
});
