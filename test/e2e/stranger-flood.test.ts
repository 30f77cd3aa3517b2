/**
 * A flood of strangers (issue 13, item 8): every new Telegram id used to earn a reply, so 300 ids
 * made gaia send 300 messages. Replies to strangers are capped per hour across all ids; each
 * attempt is still refused and audited, and reaching the cap is audited once.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { freePort, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { eventually, TOKEN } from "./monitoring-harness.js";

const ADMIN = 4242;
const STRANGERS = 60;
/** bot/auth.ts STRANGER_REPLIES_PER_HOUR, as a user counts it. */
const REPLIES_PER_HOUR = 20;

describe("a flood of strangers", () => {
  const defer = deferCleanups();

  it(`gets ${REPLIES_PER_HOUR} replies an hour in all, however many ids write; every attempt is audited, the cap once`, async () => {
    const tg = await FakeTelegram.start({ token: TOKEN });
    defer(() => tg.stop());
    const temp = makeTempHome("gaia-strangers-");
    defer(() => temp.cleanup());
    const port = await freePort();
    temp.writeConfig(`telegram:\n  admins: [${ADMIN}]\napi:\n  listen: 127.0.0.1:${port}\n`);
    temp.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    const gaia = startGaia(["start"], { home: temp.home });
    defer(() => gaia.stop("SIGKILL"));
    await tg.waitForMessage("Gaia started", { timeoutMs: 30_000 });

    const ids = Array.from({ length: STRANGERS }, (_, i) => 700_000_001 + i);
    for (const id of ids) tg.sendUserMessage({ chatId: id, fromId: id, text: "/status" });
    const events = (kind: string) => {
      const db = new Database(join(temp.home, "gaia.db"), { readonly: true, fileMustExist: true });
      try {
        return db.prepare("SELECT actor, message, details FROM events WHERE kind = ?").all(kind) as { actor: string; message: string; details: string }[];
      } finally {
        db.close();
      }
    };
    await eventually(() => events("auth.denied").length === STRANGERS, 30_000, `${STRANGERS} refusals audited`);

    // Replies follow the audit rows; the cap is taken before a reply is sent, so once 20 are
    // here no more can come this hour (the admin's answer below gives stragglers time to show).
    const toStrangers = () => tg.messages().filter((m) => ids.includes(m.chatId));
    await eventually(() => toStrangers().length >= REPLIES_PER_HOUR, 30_000, `${REPLIES_PER_HOUR} replies to strangers`);
    expect(new Set(toStrangers().map((m) => m.plainText))).toEqual(new Set(["You are not authorized to use this bot."]));
    await eventually(() => events("auth.replies-capped").length > 0, 30_000, "the cap audited");
    const capped = events("auth.replies-capped");
    expect(capped).toHaveLength(1);
    expect(capped[0].message).toMatch(/^Stopped replying to strangers until .*: 20 replies in an hour; their attempts are still refused and audited$/);
    // The admin is not affected by the cap.
    tg.sendUserMessage({ chatId: ADMIN, fromId: ADMIN, text: "/help" });
    await tg.waitForMessage(/\/status/, { chatId: ADMIN, timeoutMs: 15_000, newOnly: true });
    expect(toStrangers()).toHaveLength(REPLIES_PER_HOUR);
  });
});
