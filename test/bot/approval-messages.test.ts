import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { Api } from "grammy";
import pino from "pino";
import type { DataSource } from "typeorm";
import { ApprovalRequests } from "../../approvals/approval-requests.js";
import { ApprovalMessages } from "../../bot/approval-messages.js";
import { expireApprovalsJob } from "../../jobs/expire-approvals.js";
import { postApprovalsJob } from "../../jobs/post-approvals.js";
import { htmlParseMode } from "../../bot/html-parse-mode.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { openDatabase } from "../../entities/data-source.js";
import { FakeTelegram } from "../fakes/telegram.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = "123456789:AAFakeFakeFakeFakeFakeFakeFakeFake123";
const CHAT = -1001234567890;
/** The Bot API as gaia's bot has it: every text sent as HTML. */
function botApi(apiRoot: string): Api {
  const api = new Api(TOKEN, { apiRoot });
  api.config.use(htmlParseMode());
  return api;
}

const ALICE = { actor: "telegram:4242", label: "Alice (4242)" };

describe("approval messages in the chat", () => {
  let tg: FakeTelegram;
  let home: ReturnType<typeof makeTempHome>;
  let dataSource: DataSource;
  let requests: ApprovalRequests;
  let messages: ApprovalMessages;
  let audit: AuditTrail;
  let clock: number;

  beforeEach(async () => {
    tg = await FakeTelegram.start({ token: TOKEN });
    home = makeTempHome();
    ({ dataSource } = await openDatabase(join(home.home, "gaia.db")));
    clock = Date.now();
    const now = () => new Date(clock);
    audit = new AuditTrail(dataSource, now);
    requests = new ApprovalRequests({ dataSource, audit, defaultTimeoutMs: 600_000, now });
    const api = botApi(tg.apiRoot);
    messages = new ApprovalMessages({ requests, api, chatId: CHAT, host: "nas", audit, logger: pino({ level: "silent" }), now });
  });

  afterEach(async () => {
    requests.close();
    await dataSource.destroy();
    await tg.stop();
    home.cleanup();
  });

  it("posts each stored request once, with its buttons, and records the message", async () => {
    const a = await requests.create({ title: "First" });
    clock += 1;
    const b = await requests.create({ title: "Second" });
    await messages.postUnposted();
    await messages.postUnposted();
    const sent = tg.messages(CHAT);
    expect(sent.map((m) => [m.plainText.split("\n")[1], m.buttons.length])).toEqual([["First", 2], ["Second", 2]]);
    expect(await requests.find(a.id)).toMatchObject({ chatId: CHAT, messageId: sent[0].messageId });
    expect(await requests.find(b.id)).toMatchObject({ chatId: CHAT, messageId: sent[1].messageId });
    expect((await audit.recent({ subject: a.id })).map((e) => e.kind)).toEqual(["approval.posted", "approval.created"]);
    expect(tg.rejections).toEqual([]);
  });

  it("keeps a request stored during an outage, and posts it on the first run after", async () => {
    const request = await requests.create({ title: "During the outage" });
    tg.setOutage(true);
    await messages.postUnposted();
    expect((await requests.find(request.id))?.messageId).toBeNull();
    tg.setOutage(false);
    await messages.postUnposted();
    expect(tg.messages(CHAT)).toHaveLength(1);
    expect((await requests.find(request.id))?.messageId).toBe(tg.messages(CHAT)[0].messageId);
  });

  it("waits a minute after Telegram refuses the chat, instead of retrying every run", async () => {
    const refusing = new ApprovalMessages({
      requests,
      api: botApi(tg.apiRoot),
      chatId: 0, // Telegram: "chat not found"
      host: "nas",
      audit,
      logger: pino({ level: "silent" }),
      now: () => new Date(clock),
    });
    await requests.create({ title: "Nowhere to go" });
    await refusing.postUnposted();
    await refusing.postUnposted();
    expect(tg.calls.filter((c) => c.method === "sendMessage")).toHaveLength(1);
    clock += 60_000;
    await refusing.postUnposted();
    expect(tg.calls.filter((c) => c.method === "sendMessage")).toHaveLength(2);
  });

  it("edits the message once a decision is made, and retries the edit after an outage", async () => {
    const request = await requests.create({ title: "Decide me" });
    await messages.postUnposted();
    await requests.decide(request.id, "approved", ALICE);

    tg.setOutage(true);
    await messages.showOutcomes();
    expect(tg.messages(CHAT)[0].edits).toEqual([]);
    expect(await requests.outcomesToShow()).toHaveLength(1); // the edit is still owed

    tg.setOutage(false);
    await messages.showOutcomes();
    await messages.showOutcomes();
    const [message] = tg.messages(CHAT);
    expect(message.edits).toHaveLength(1);
    expect(message.plainText.split("\n")[0]).toMatch(/^✅ Approved by Alice \(4242\) at /);
    expect(message.buttons).toEqual([]);
    expect(await requests.outcomesToShow()).toEqual([]);
    expect(tg.rejections).toEqual([]);
  });

  it("gives up on a message someone deleted, without retrying forever", async () => {
    const request = await requests.create({ title: "Deleted" });
    await messages.postUnposted();
    const [message] = tg.messages(CHAT);
    await new Api(TOKEN, { apiRoot: tg.apiRoot }).deleteMessage(CHAT, message.messageId);
    await requests.decide(request.id, "denied", ALICE);
    await messages.showOutcomes();
    expect(await requests.outcomesToShow()).toEqual([]);
    expect(tg.rejections.map((c) => c.description)).toEqual(["Bad Request: message to edit not found"]);
  });

  it("shows the expiry of a request that ran out while its message was on the way", async () => {
    const request = await requests.create({ title: "Too late", timeoutSeconds: 5 });
    tg.failNext("sendMessage", 1, { status: 502 });
    await messages.postUnposted(); // fails: Telegram is away
    clock += 5_000;
    await requests.expireDue();
    await messages.postUnposted(); // expired: nothing to post any more
    expect(tg.messages(CHAT)).toEqual([]);
    expect((await requests.find(request.id))?.status).toBe("expired");
  });

  it("its jobs wake at the next expiry and while Telegram is retried, and ask for nothing when no request is open", async () => {
    const wakes: { job: string; ms: number }[] = [];
    const now = () => new Date(clock);
    const expireJob = expireApprovalsJob({ requests, messages, now, runAgainIn: (ms) => wakes.push({ job: "expire", ms }), retryMs: 5_000 });
    const postJob = postApprovalsJob({ messages, runAgainIn: (ms) => wakes.push({ job: "post", ms }), retryMs: 5_000 });

    await expireJob();
    await postJob();
    expect(wakes).toEqual([]); // nothing open: only the slow sweep runs them

    const request = await requests.create({ title: "Deploy", timeoutSeconds: 30 });
    tg.setOutage(true);
    await postJob();
    expect(wakes).toEqual([{ job: "post", ms: 5_000 }]); // Telegram away: tried again soon
    tg.setOutage(false);
    await postJob();
    expect(tg.messages(CHAT)).toHaveLength(1);

    wakes.length = 0;
    clock += 10_000;
    await expireJob();
    expect(wakes).toEqual([{ job: "expire", ms: 20_000 }]); // woken when the request runs out
    clock += 20_000;
    await expireJob();
    expect((await requests.find(request.id))?.status).toBe("expired");
    expect(tg.messages(CHAT)[0].plainText).toMatch(/Expired/i);
    expect(wakes).toEqual([{ job: "expire", ms: 20_000 }]); // and then nothing is left to wake for
  });
});
