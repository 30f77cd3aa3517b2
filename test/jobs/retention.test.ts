import { afterEach, describe, expect, it } from "vitest";
import { Outbox } from "../../alerts/outbox.js";
import { silentLogger } from "../../cli/logger.js";
import { ApprovalRequest } from "../../entities/approval-request.js";
import { AuditEvent } from "../../entities/audit-event.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { Incident } from "../../entities/incident.js";
import { OutboxMessage } from "../../entities/outbox-message.js";
import { Sample } from "../../entities/sample.js";
import { applyRetention } from "../../jobs/retention.js";
import { manualClock, tempDatabase } from "../helpers/temp-database.js";

const DAY = 86_400_000;

describe("retention keeps gaia.db small", () => {
  let db: Awaited<ReturnType<typeof tempDatabase>> | undefined;
  afterEach(() => db?.close());

  it("deletes events, resolved incidents and sent alerts past retention.events and samples past retention.samples, never open or pending ones", async () => {
    db = await tempDatabase();
    const { dataSource } = db;
    const clock = manualClock("2025-01-01T00:00:00.000Z");
    const audit = new AuditTrail(dataSource, clock.now);
    const outbox = new Outbox(dataSource, 1, clock.now);
    const incidents = dataSource.getRepository(Incident);
    const incident = (status: string) =>
      incidents.save(incidents.create({ key: `service:a:down`, subjectKind: "service", subjectName: "a", condition: "down", status, openedAt: clock.now(), resolvedAt: status === "resolved" ? clock.now() : null, muted: false, figures: null }));

    // Old: 100 days ago.
    await audit.record({ kind: "service.down", message: "old" });
    await incident("resolved");
    await incident("open");
    const sent = await outbox.enqueue({ kind: "notice", payload: { title: "old sent" } });
    await dataSource.getRepository(OutboxMessage).update({ id: sent.id }, { status: "delivered" });
    await outbox.enqueue({ kind: "notice", payload: { title: "old pending" } });
    await dataSource.getRepository(Sample).insert({ at: clock.now(), subject: "host", cpu: 1, memory: 1, disk: 1 });

    clock.advance(92 * DAY);
    await dataSource.getRepository(Sample).insert({ at: clock.now(), subject: "host", cpu: 2, memory: 2, disk: 2 });
    await audit.record({ kind: "service.down", message: "recent" });
    clock.advance(8 * DAY);

    const removed = await applyRetention({ dataSource, eventsMs: 90 * DAY, samplesMs: 7 * DAY, logger: silentLogger(), now: clock.now });
    expect(removed).toEqual({ events: 1, incidents: 1, outbox: 1, approvals: 0, samples: 2 });
    expect((await dataSource.getRepository(AuditEvent).find()).map((e) => e.message)).toEqual(["recent"]);
    expect((await incidents.find()).map((i) => i.status)).toEqual(["open"]);
    expect((await dataSource.getRepository(OutboxMessage).find()).map((r) => r.status)).toEqual(["pending"]);
  });

  it("deletes approval requests decided or expired past retention.events, never pending or recent ones", async () => {
    db = await tempDatabase();
    const { dataSource } = db;
    const clock = manualClock("2025-01-01T00:00:00.000Z");
    const approvals = dataSource.getRepository(ApprovalRequest);
    const request = (id: string, status: string) =>
      approvals.save(
        approvals.create({ id, title: id, details: null, requester: null, status, createdAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 600_000), decidedBy: status === "pending" || status === "expired" ? null : "Ada", decidedAt: status === "pending" ? null : clock.now(), chatId: 1, messageId: 1, outcomeShown: true }),
      );
    await request("old-approved", "approved");
    await request("old-denied", "denied");
    await request("old-expired", "expired");
    await request("old-pending", "pending");
    clock.advance(95 * DAY);
    await request("new-approved", "approved");
    clock.advance(DAY);

    const removed = await applyRetention({ dataSource, eventsMs: 90 * DAY, samplesMs: 7 * DAY, logger: silentLogger(), now: clock.now });
    expect(removed.approvals).toBe(3);
    expect((await approvals.find({ order: { id: "ASC" } })).map((a) => a.id)).toEqual(["new-approved", "old-pending"]);
  });
});
