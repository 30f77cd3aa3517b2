import { describe, expect, it } from "vitest";
import type { AlertPayload } from "../../alerts/alert.js";
import { HeldDelivery } from "../../alerts/deliver-held.js";
import { DeliveryRefused } from "../../alerts/deliver-outbox.js";
import type { DeliveryMessage } from "../../alerts/delivery-plan.js";
import { HeldAlerts } from "../../alerts/held-alerts.js";
import { silentLogger } from "../../cli/logger.js";

const alert = (subject: string, change: AlertPayload["change"]) => ({
  kind: "alert" as const,
  payload: { subjectKind: "service" as const, subject, condition: "down", change, incidentId: 0, at: "2026-12-01T00:00:00Z", openedAt: "2026-12-01T00:00:00Z" },
});

describe("alerts held in memory while gaia.db cannot be written", () => {
  it("stay bounded: reminders go first, then the oldest alerts, and the notice stays", () => {
    const held = new HeldAlerts(5);
    held.hold({ kind: "notice", payload: { title: "Disk full" } });
    held.hold(alert("a", "opened"));
    held.hold(alert("a", "reminder"));
    held.hold(alert("b", "opened"));
    held.hold(alert("c", "opened"));
    held.hold(alert("d", "opened"));
    held.hold(alert("e", "opened"));
    const names = held.peek(10).map((i) => (i.kind === "notice" ? i.payload.title : `${i.payload.subject}:${i.payload.change}`));
    expect(names).toEqual(["Disk full", "b:opened", "c:opened", "d:opened", "e:opened"]);
    expect(held.takeDropped()).toBe(2);
    expect(held.takeDropped()).toBe(0);
  });

  it("are sent straight to Telegram, grouped, and a refused one is found and dropped alone", async () => {
    const held = new HeldAlerts();
    for (const s of ["a", "bad", "c"]) held.hold(alert(s, "opened"));
    const sent: DeliveryMessage[] = [];
    const delivery = new HeldDelivery({
      held,
      chatId: 1,
      logger: silentLogger(),
      now: () => new Date(),
      send: async (message) => {
        if (message.items.some((i) => i.kind === "alert" && i.payload.subject === "bad")) throw new DeliveryRefused("Bad Request");
        sent.push(message);
        return { messageId: sent.length };
      },
    });
    expect(await delivery.run()).toBe(2);
    expect(held.size).toBe(0);
    expect(sent.map((m) => m.items.map((i) => (i.kind === "alert" ? i.payload.subject : "")))).toEqual([["a"], ["c"]]);
  });
});
