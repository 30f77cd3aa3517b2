import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DataSource } from "typeorm";
import type { AlertPayload } from "../../alerts/alert.js";
import { DeliveryOutcomeUnknown, DeliveryRateLimited, DeliveryRefused, OutboxDelivery, type AlertSender } from "../../alerts/deliver-outbox.js";
import type { DeliveryMessage } from "../../alerts/delivery-plan.js";
import { MuteList } from "../../alerts/mute-list.js";
import { Outbox } from "../../alerts/outbox.js";
import { silentLogger } from "../../cli/logger.js";
import { AuditEvent } from "../../entities/audit-event.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { OutboxMessage } from "../../entities/outbox-message.js";
import { manualClock, tempDatabase } from "../helpers/temp-database.js";

const CHAT = 4242;

function alert(subject: string, change: AlertPayload["change"] = "opened", incidentId = 1): AlertPayload {
  return {
    subjectKind: "service",
    subject,
    condition: "down",
    change,
    incidentId,
    at: "2025-06-01T12:00:00.000Z",
    openedAt: "2025-06-01T12:00:00.000Z",
    ...(change === "opened" ? { actions: ["ack", "mute"] } : { durationMs: 60_000 }),
  };
}

/** A sender that records what it was asked to send and answers as the test says. */
function recordingSender(answer: (message: DeliveryMessage, signal: AbortSignal) => Promise<void> | void = () => undefined) {
  const sent: DeliveryMessage[] = [];
  let nextId = 1;
  const send: AlertSender = async (message, signal) => {
    sent.push(message);
    await answer(message, signal);
    return { messageId: nextId++ };
  };
  return { sent, send };
}

function subjects(message: DeliveryMessage): string[] {
  return message.items.map((item) => (item.kind === "alert" ? `${item.payload.subject}:${item.payload.change}${item.openedToo ? "+opened" : ""}` : item.payload.title));
}

describe("delivering the outbox", () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let dataSource: DataSource;
  let clock: ReturnType<typeof manualClock>;
  let outbox: Outbox;
  let audit: AuditTrail;
  beforeEach(async () => {
    db = await tempDatabase();
    dataSource = db.dataSource;
    clock = manualClock();
    outbox = new Outbox(dataSource, CHAT, clock.now);
    audit = new AuditTrail(dataSource, clock.now);
  });
  afterEach(() => db.close());

  const delivery = (send: AlertSender, extra: Partial<ConstructorParameters<typeof OutboxDelivery>[0]> = {}) =>
    new OutboxDelivery({ dataSource, audit, send, logger: silentLogger(), now: clock.now, ...extra });
  const rows = () => dataSource.getRepository(OutboxMessage).find({ order: { id: "ASC" } });

  it("groups the rows that fall due together into one message, in order, and marks them delivered only after Telegram accepted it", async () => {
    await outbox.enqueue({ kind: "notice", payload: { title: "Gaia started" } });
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "opened", 1) });
    await outbox.enqueue({ kind: "alert", payload: alert("db", "opened", 2) });
    let release!: () => void;
    const accepted = new Promise<void>((resolve) => (release = resolve));
    const sender = recordingSender(() => accepted);
    const run = delivery(sender.send).run();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // In flight: nothing is marked yet.
    expect((await rows()).map((r) => r.status)).toEqual(["pending", "pending", "pending"]);
    release();
    const result = await run;
    expect(result).toMatchObject({ sent: 1, delivered: 3 });
    expect(sender.sent).toHaveLength(1);
    expect(subjects(sender.sent[0])).toEqual(["Gaia started", "agent:opened", "db:opened"]);
    expect(sender.sent[0].delayedSince).toBeUndefined();
    const stored = await rows();
    expect(stored.map((r) => [r.status, r.telegramMessageId, r.attempts])).toEqual([
      ["delivered", 1, 1],
      ["delivered", 1, 1],
      ["delivered", 1, 1],
    ]);
    // Nothing is sent twice.
    expect((await delivery(sender.send).run()).sent).toBe(0);
  });

  it("backs off 1 s, 2 s, 4 s, then every 5 s while Telegram is unreachable, and sends what piled up as one summary", async () => {
    let down = true;
    const sender = recordingSender(() => {
      if (down) throw new Error("Network request for 'sendMessage' failed!");
    });
    const job = delivery(sender.send);
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "opened", 1) });
    const attemptsAt: number[] = [];
    const start = clock.now().getTime();
    for (let ms = 0; ms <= 20_000; ms += 250) {
      const before = sender.sent.length;
      await job.run();
      if (sender.sent.length > before) attemptsAt.push(clock.now().getTime() - start);
      if (ms === 6000) {
        await outbox.enqueue({ kind: "alert", payload: alert("agent", "resolved", 1) });
        await outbox.enqueue({ kind: "alert", payload: alert("db", "opened", 2) });
      }
      clock.advance(250);
    }
    expect(attemptsAt).toEqual([0, 1000, 3000, 7000, 12000, 17000]);
    expect((await rows()).every((r) => r.status === "pending")).toBe(true);
    expect((await rows())[0].lastError).toContain("Network request");

    down = false;
    clock.advance(5000);
    const result = await job.run();
    expect(result.delivered).toBe(3);
    const summary = sender.sent.at(-1)!;
    // The service that went down and came back during the outage is one item, said once.
    expect(subjects(summary)).toEqual(["agent:resolved+opened", "db:opened"]);
    expect(summary.delayedSince).toBe("2025-06-01T12:00:00.000Z");
  });

  it("gives each attempt a deadline, so a Telegram that never answers cannot hang the job", async () => {
    await outbox.enqueue({ kind: "alert", payload: alert("agent") });
    const sender = recordingSender(
      (_message, signal) => new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    );
    const started = Date.now();
    const result = await delivery(sender.send, { attemptTimeoutMs: 100 }).run();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.delivered).toBe(0);
    expect(result.waitingUntil).toEqual(new Date(clock.now().getTime() + 1000));
    const [row] = await rows();
    expect([row.status, row.attempts, row.lastError]).toEqual(["pending", 1, "no answer within the deadline"]);
  });

  it("waits the retry_after of a 429 before the next message, even across a restart of the job", async () => {
    await outbox.enqueue({ kind: "alert", payload: alert("agent") });
    let limited = true;
    const sender = recordingSender(() => {
      if (limited) {
        limited = false;
        throw new DeliveryRateLimited(7000, "Too Many Requests: retry after 7");
      }
    });
    expect((await delivery(sender.send).run()).waitingUntil).toEqual(new Date(clock.now().getTime() + 7000));
    const [row] = await rows();
    expect(row.dueAt).toEqual(new Date(clock.now().getTime() + 7000));
    // A new job (the monitor restarted) still waits: the row is not due.
    clock.advance(6000);
    expect((await delivery(sender.send).run()).sent).toBe(0);
    clock.advance(1000);
    expect((await delivery(sender.send).run()).delivered).toBe(1);
    expect(sender.sent).toHaveLength(2);
  });

  it("drops a message Telegram refuses for good, after finding which row it was, audits it, and delivers the others", async () => {
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "opened", 1) });
    await outbox.enqueue({ kind: "alert", payload: alert("broken", "opened", 2) });
    const sender = recordingSender((message) => {
      if (message.items.some((i) => i.kind === "alert" && i.payload.subject === "broken")) {
        throw new DeliveryRefused("Bad Request: can't parse entities: Unsupported start tag \"x\"");
      }
    });
    const job = delivery(sender.send);
    expect(await job.run()).toMatchObject({ delivered: 0, dropped: 0, more: true });
    await job.run();
    await job.run();
    expect((await rows()).map((r) => r.status)).toEqual(["delivered", "dropped"]);
    expect(sender.sent.map(subjects)).toEqual([["agent:opened", "broken:opened"], ["agent:opened"], ["broken:opened"]]);
    const events = await dataSource.getRepository(AuditEvent).findBy({ kind: "alert.dropped" });
    expect(events).toHaveLength(1);
    expect(events[0].message).toContain("can't parse entities");
    expect(events[0].subject).toBe("broken");
    // Never retried.
    clock.advance(60_000);
    expect((await job.run()).sent).toBe(0);
  });

  it("does not send an alert whose subject was muted before it went out, but still sends recoveries", async () => {
    const mutes = new MuteList(dataSource, audit, clock.now);
    await mutes.mute("agent", new Date(clock.now().getTime() + 3600_000), "telegram:1");
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "opened", 1) });
    await outbox.enqueue({ kind: "alert", payload: alert("db", "resolved", 2) });
    const sender = recordingSender();
    const result = await delivery(sender.send, { mutes }).run();
    expect(result).toMatchObject({ muted: 1, delivered: 1 });
    expect(sender.sent.map(subjects)).toEqual([["db:resolved"]]);
    expect((await rows()).map((r) => r.status)).toEqual(["muted", "delivered"]);
  });

  it("forgets rows it meant to send one by one once they end muted, so its memory stays bounded", async () => {
    const mutes = new MuteList(dataSource, audit, clock.now);
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "opened", 1) });
    await outbox.enqueue({ kind: "alert", payload: alert("broken", "opened", 2) });
    const sender = recordingSender(() => {
      throw new DeliveryRefused("Bad Request: message is too long");
    });
    const job = delivery(sender.send, { mutes });
    await job.run();
    expect(job.rowsSentAlone).toBe(2);
    await mutes.mute("all", new Date(clock.now().getTime() + 3600_000), "telegram:1");
    expect(await job.run()).toMatchObject({ muted: 2, sent: 0 });
    expect(job.rowsSentAlone).toBe(0);
  });

  it("sends one message per chat per run and splits a long backlog where the next item would not fit", async () => {
    for (let i = 1; i <= 25; i++) await outbox.enqueue({ kind: "alert", payload: alert(`svc${i}`, "opened", i) });
    await outbox.enqueue({ kind: "notice", payload: { title: "elsewhere" } }, { chatId: -100 });
    const sender = recordingSender();
    const job = delivery(sender.send, { fits: (message) => message.items.length <= 20 });
    const first = await job.run();
    expect(first).toMatchObject({ sent: 2, delivered: 21, more: true });
    expect(sender.sent.map((m) => [m.chatId, m.items.length])).toEqual([
      [CHAT, 20],
      [-100, 1],
    ]);
    clock.advance(1000);
    expect(await job.run()).toMatchObject({ sent: 1, delivered: 5, more: false });
  });

  it("settles only the rows whose items the sent message showed; the rest go in the next message", async () => {
    for (let i = 1; i <= 5; i++) await outbox.enqueue({ kind: "alert", payload: alert(`svc${i}`, "opened", i) });
    let calls = 0;
    const sent: DeliveryMessage[] = [];
    const job = delivery(async (message) => {
      sent.push(message);
      return { messageId: ++calls, itemsShown: calls === 1 ? 2 : message.items.length };
    });
    expect(await job.run()).toMatchObject({ delivered: 2, more: true });
    expect((await rows()).map((r) => r.status)).toEqual(["delivered", "delivered", "pending", "pending", "pending"]);
    expect(await job.run()).toMatchObject({ delivered: 3, more: false });
    expect(sent[1].items.map((item) => (item.kind === "alert" ? item.payload.subject : ""))).toEqual(["svc3", "svc4", "svc5"]);
  });

  it("records each attempt before sending, and after a crash mid-send sends the rows again marked as a possible repeat", async () => {
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "opened", 1) });
    // The first process: the send never returns (kill -9 while Telegram's answer is on its way).
    let seenDuringSend: OutboxMessage[] = [];
    const crashed = delivery(async () => {
      seenDuringSend = await rows();
      return new Promise<never>(() => undefined);
    });
    void crashed.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seenDuringSend[0]).toMatchObject({ status: "pending", attempts: 1 });
    expect(seenDuringSend[0].attemptStartedAt).not.toBeNull();

    // The next process finds the unfinished attempt.
    const sender = recordingSender();
    expect(await delivery(sender.send).run()).toMatchObject({ delivered: 1 });
    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0].possibleRepeat).toBe(true);
    expect((await rows())[0]).toMatchObject({ status: "delivered", maybeSent: true, attemptStartedAt: null });
  });

  it("marks the retry of an attempt that got no answer as a possible repeat, but not one whose connection was refused", async () => {
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "opened", 1) });
    await outbox.enqueue({ kind: "alert", payload: alert("db", "opened", 2) }, { chatId: -100 });
    let call = 0;
    const sender = recordingSender(() => {
      call++;
      if (call === 1) throw new DeliveryOutcomeUnknown("no answer within the deadline");
    });
    const job = delivery(sender.send);
    await job.run();
    clock.advance(5000);
    await job.run();
    const again = sender.sent.filter((m) => m.chatId === CHAT);
    expect(again.map((m) => m.possibleRepeat === true)).toEqual([false, true]);
    expect(sender.sent.filter((m) => m.chatId === -100).map((m) => m.possibleRepeat === true)).toEqual([false]);
  });

  it("does not send a recovery alone when its incident's opening alert was muted before delivery", async () => {
    const mutes = new MuteList(dataSource, audit, clock.now);
    await mutes.mute("agent", new Date(clock.now().getTime() + 60_000), "telegram:1");
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "opened", 1) });
    const sender = recordingSender();
    const job = delivery(sender.send, { mutes });
    expect(await job.run()).toMatchObject({ muted: 1 });
    // The mute ends; the service comes back: nobody was told it was down.
    clock.advance(120_000);
    await outbox.enqueue({ kind: "alert", payload: alert("agent", "resolved", 1) });
    await outbox.enqueue({ kind: "alert", payload: alert("db", "resolved", 2) });
    expect(await job.run()).toMatchObject({ muted: 1, delivered: 1 });
    expect(sender.sent.map(subjects)).toEqual([["db:resolved"]]);
    expect((await rows()).map((r) => r.status)).toEqual(["muted", "muted", "delivered"]);
  });
});
