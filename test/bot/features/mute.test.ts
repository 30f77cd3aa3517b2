import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Bot } from "grammy";
import type { Update } from "grammy/types";
import { MuteList } from "../../../alerts/mute-list.js";
import { muteFeature } from "../../../bot/features/mute.js";
import type { GaiaContext } from "../../../bot/context.js";
import { CONSOLE_BOT_INFO } from "../../../cli/console-chat.js";
import { AuditEvent } from "../../../entities/audit-event.js";
import { AuditTrail } from "../../../entities/audit-trail.js";
import { parseTelegramHtml } from "../../fakes/telegram-html.js";
import { manualClock, tempDatabase } from "../../helpers/temp-database.js";

const ADMIN = 7;

describe("/mute and /unmute", () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let mutes: MuteList;
  let bot: Bot<GaiaContext>;
  let replies: string[];
  let clock: ReturnType<typeof manualClock>;
  let updateId = 1;

  beforeEach(async () => {
    db = await tempDatabase();
    clock = manualClock();
    mutes = new MuteList(db.dataSource, new AuditTrail(db.dataSource, clock.now), clock.now);
    bot = new Bot<GaiaContext>("1:test", { botInfo: CONSOLE_BOT_INFO });
    replies = [];
    // Answer every Bot API call locally and keep what was sent (checked as Telegram would parse it).
    bot.api.config.use(async (_prev, method, payload) => {
      if (method === "sendMessage") replies.push(parseTelegramHtml(String((payload as { text: string }).text)).text);
      return { ok: true, result: { message_id: 1, date: 0, chat: { id: ADMIN, type: "private" }, text: "" } } as never;
    });
    bot.use(muteFeature({ mutes, subjects: ["agent", "backup"], now: clock.now }));
  });
  afterEach(() => db.close());

  async function say(text: string): Promise<string> {
    const command = /^\/\w+/.exec(text)![0];
    const update: Update = {
      update_id: updateId++,
      message: {
        message_id: updateId,
        date: 0,
        chat: { id: ADMIN, type: "private", first_name: "Admin" },
        from: { id: ADMIN, is_bot: false, first_name: "Admin" },
        text,
        entities: [{ type: "bot_command", offset: 0, length: command.length }],
      },
    };
    await bot.handleUpdate(update);
    return replies.at(-1)!;
  }

  it("mutes a service for an hour by default, or for the duration given, and lists what is muted", async () => {
    expect(await say("/mute agent")).toMatch(/^🔕 agent is muted for 1h \(until \d\d:\d\d\)\. Incidents are still recorded; \/unmute ends it early\.$/);
    expect(mutes.mutedBy("agent")?.until).toEqual(new Date(clock.now().getTime() + 3_600_000));
    expect(await say("/mute all 30m")).toMatch(/^🔕 All alerts are muted for 30m/);
    expect(await say("/mute")).toMatch(/^Muted now\n• all alerts until \d\d:\d\d \(30m left\)\n• agent until \d\d:\d\d \(1h left\)\n\nUsage:/);
    const events = await db.dataSource.getRepository(AuditEvent).find({ order: { id: "ASC" } });
    expect(events.map((e) => [e.kind, e.actor, e.subject])).toEqual([
      ["alerts.muted", `telegram:${ADMIN}`, "agent"],
      ["alerts.muted", `telegram:${ADMIN}`, null],
    ]);
  });

  it("ends a mute early with /unmute, and says when there was none", async () => {
    await say("/mute backup 2h");
    expect(await say("/unmute backup")).toBe("🔔 Unmuted backup: alerts are sent again.");
    expect(mutes.mutedBy("backup")).toBeUndefined();
    expect(await say("/unmute backup")).toBe("backup was not muted.");
    expect(await say("/unmute all")).toBe("Alerts were not muted as a whole (/mute lists what is).");
  });

  it("explains what is wrong with a subject or a duration, suggesting the name meant", async () => {
    expect(await say("/mute agen")).toBe('There is no service or task named "agen". Did you mean agent? Known: agent, backup, or all.\nUsage: /mute SERVICE|all [DURATION] (default 1h), /unmute SERVICE|all');
    expect(await say("/mute agent soon")).toContain('"soon" is not a duration; write it like 30m, 2h or 1d.');
    expect(await say("/mute agent 90d")).toContain("At most 30d");
    expect(await say("/unmute")).toContain("Say what to unmute");
    expect(mutes.active()).toEqual([]);
  });

  it("keeps its answers within Telegram's limits for very long words and for many services muted at once", async () => {
    const long = "x".repeat(4080);
    for (const text of [`/mute ${long}`, `/mute agent ${long}`, `/unmute ${long}`]) {
      const reply = await say(text);
      expect(reply).toMatch(/"x{63}…"/);
      expect(reply.length).toBeLessThan(300);
    }
    // 200 services with long names: the list of names and the list of mutes are cut, with a note.
    const subjects = Array.from({ length: 200 }, (_, i) => `service-with-a-long-name-${String(i).padStart(4, "0")}`);
    bot = new Bot<GaiaContext>("1:test", { botInfo: CONSOLE_BOT_INFO });
    bot.api.config.use(async (_prev, method, payload) => {
      if (method === "sendMessage") replies.push(parseTelegramHtml(String((payload as { text: string }).text)).text);
      return { ok: true, result: { message_id: 1, date: 0, chat: { id: ADMIN, type: "private" }, text: "" } } as never;
    });
    bot.use(muteFeature({ mutes, subjects, now: clock.now }));
    expect(await say("/mute nothing-like-it")).toContain("service-with-a-long-name-0019 and 180 more, or all.");
    for (const subject of subjects) await mutes.mute(subject, new Date(clock.now().getTime() + 3_600_000), "test");
    const list = await say("/mute");
    expect(list.length).toBeLessThanOrEqual(4096);
    expect(list).toMatch(/^Muted now\n• service-with-a-long-name-0000 until/);
    expect(list).toMatch(/…and \d+ more lines that did not fit\.$/);
  });

  it("lets mutes end by themselves", async () => {
    await say("/mute agent 10m");
    clock.advance(10 * 60_000);
    expect(mutes.mutedBy("agent")).toBeUndefined();
    expect(await say("/mute")).toMatch(/^Nothing is muted\./);
  });
});
