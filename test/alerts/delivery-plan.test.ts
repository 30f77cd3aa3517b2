import { describe, expect, it } from "vitest";
import type { AlertPayload } from "../../alerts/alert.js";
import { planDelivery, type PlannedMessage } from "../../alerts/delivery-plan.js";
import type { OutboxMessage } from "../../entities/outbox-message.js";

const NOW = new Date("2025-06-01T12:00:00.000Z");
let nextId = 1;

function row(payload: Partial<AlertPayload> | { title: string; standalone?: boolean }, options: { chatId?: number; ageMs?: number; attempts?: number; maybeSent?: boolean } = {}): OutboxMessage {
  const isNotice = "title" in payload;
  return {
    id: nextId++,
    createdAt: new Date(NOW.getTime() - (options.ageMs ?? 0)),
    dueAt: NOW,
    kind: isNotice ? "notice" : "alert",
    payload: isNotice ? payload : { subjectKind: "service", subject: "agent", condition: "down", incidentId: 1, change: "opened", ...payload },
    chatId: options.chatId ?? 1,
    status: "pending",
    attempts: options.attempts ?? 0,
    lastError: null,
    deliveredAt: null,
    telegramMessageId: null,
    attemptStartedAt: null,
    maybeSent: options.maybeSent ?? false,
    incidentId: isNotice ? null : ((payload as Partial<AlertPayload>).incidentId ?? 1),
  } as OutboxMessage;
}

function describePlan(plan: PlannedMessage[]): string[][] {
  return plan.map((p) =>
    p.message.items.map((item) =>
      item.kind === "notice" ? `notice ${item.payload.title}` : `${item.payload.subject}#${item.payload.incidentId} ${item.payload.change}${item.openedToo ? " (opened too)" : ""}`,
    ),
  );
}

const plan = (rows: OutboxMessage[], alone?: Set<number>) => planDelivery(rows, { now: NOW, maxItems: 20, delayedAfterMs: 60_000, alone });

describe("which rows go out together", () => {
  it("sends a notice with buttons of its own (rotation due) as its own message, never grouped", () => {
    const rows = [row({ title: "Gaia started" }), row({ title: "Token rotation", standalone: true }), row({ incidentId: 7, change: "opened" })];
    expect(describePlan(plan(rows))).toEqual([["notice Token rotation"], ["notice Gaia started", "agent#7 opened"]]);
  });

  it("folds the rows of one incident: opened then resolved is one line, a reminder gives way to newer news", () => {
    const rows = [
      row({ title: "Gaia started" }),
      row({ incidentId: 1, change: "opened" }),
      row({ subject: "db", incidentId: 2, change: "reminder" }),
      row({ incidentId: 1, change: "reminder" }),
      row({ subject: "db", incidentId: 2, change: "reminder", durationMs: 7_200_000 }),
      row({ incidentId: 1, change: "resolved" }),
      row({ incidentId: 3, change: "opened" }),
    ];
    const planned = plan(rows);
    expect(describePlan(planned)).toEqual([["notice Gaia started", "agent#1 resolved (opened too)", "db#2 reminder", "agent#3 opened"]]);
    const db = planned[0].message.items[2];
    expect(db.kind === "alert" && db.payload.durationMs).toBe(7_200_000);
    // Every row is settled by the message, folded ones included.
    expect(planned[0].rowIds.sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
  });

  it("marks a message as a backlog summary only when Telegram held a row back for longer than a moment", () => {
    expect(plan([row({}), row({ incidentId: 2 })])[0].message.delayedSince).toBeUndefined();
    const waited = row({ incidentId: 4 }, { ageMs: 5 * 60_000, attempts: 3 });
    expect(plan([waited, row({ incidentId: 5 })])[0].message.delayedSince).toBe(waited.createdAt.toISOString());
    // One retry after a dropped connection is no outage; nor is a row that waited while gaia was stopped.
    expect(plan([row({ incidentId: 6 }, { attempts: 1, ageMs: 2000 })])[0].message.delayedSince).toBeUndefined();
    expect(plan([row({ incidentId: 7 }, { ageMs: 5 * 60_000 })])[0].message.delayedSince).toBeUndefined();
  });

  it("splits by what fits, so that no item is left out of a message, and sends possible repeats apart, marked", () => {
    const rows = Array.from({ length: 7 }, (_, i) => row({ incidentId: 100 + i }));
    const repeat = row({ incidentId: 200 }, { maybeSent: true, attempts: 1 });
    const planned = planDelivery([...rows, repeat], { now: NOW, maxItems: 50, delayedAfterMs: 60_000, fits: (m) => m.items.length <= 3 });
    expect(planned.map((p) => p.message.items.length)).toEqual([1, 3, 3, 1]);
    expect(planned[0].rowIds).toEqual([repeat.id]);
    expect(planned[0].message.possibleRepeat).toBe(true);
    expect(planned.slice(1).some((p) => p.message.possibleRepeat)).toBe(false);
    expect(planned.slice(1).flatMap((p) => p.itemRowIds.flat())).toEqual(rows.map((r) => r.id));
  });

  it("keeps chats apart and sends rows under suspicion alone", () => {
    const a = row({ incidentId: 1 });
    const b = row({ incidentId: 2 }, { chatId: -100 });
    const c = row({ incidentId: 3 });
    const planned = plan([a, b, c], new Set([c.id]));
    expect(planned.map((p) => [p.message.chatId, p.rowIds])).toEqual([
      [1, [c.id]],
      [1, [a.id]],
      [-100, [b.id]],
    ]);
  });
});
