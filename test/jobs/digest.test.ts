import { afterEach, describe, expect, it } from "vitest";
import pino from "pino";
import { Outbox } from "../../alerts/outbox.js";
import { Incident } from "../../entities/incident.js";
import { OutboxMessage } from "../../entities/outbox-message.js";
import { TaskRun } from "../../entities/task-run.js";
import { digestJob } from "../../jobs/digest.js";
import { collectDigest } from "../../queries/daily-digest.js";
import { manualClock, tempDatabase } from "../helpers/temp-database.js";

describe("the daily digest job", () => {
  let db: Awaited<ReturnType<typeof tempDatabase>> | undefined;
  afterEach(() => db?.close());

  it("sends nothing on a quiet day unless always, and counts the day's downtime, failed runs and incidents", async () => {
    db = await tempDatabase();
    const clock = manualClock("2026-03-02T08:00:00.000Z");
    const outbox = new Outbox(db.dataSource, 42, clock.now, () => undefined);
    const logger = pino({ level: "silent" });
    const rows = () => db!.dataSource.getRepository(OutboxMessage).count();

    await digestJob({ dataSource: db.dataSource, outbox, always: false, logger, now: clock.now })();
    expect(await rows()).toBe(0);
    await digestJob({ dataSource: db.dataSource, outbox, always: true, logger, now: clock.now })();
    expect(await rows()).toBe(1);

    const incidents = db.dataSource.getRepository(Incident);
    // Opened two days ago and resolved an hour into the day: one hour of the day's downtime.
    await incidents.save(incidents.create({ key: "service:agent:down", subjectKind: "service", subjectName: "agent", condition: "down", status: "resolved", openedAt: new Date("2026-02-28T08:00:00Z"), resolvedAt: new Date("2026-03-01T09:00:00Z") }));
    await incidents.save(incidents.create({ key: "service:web:down", subjectKind: "service", subjectName: "web", condition: "down", status: "open", openedAt: new Date("2026-03-02T07:30:00Z") }));
    const runs = db.dataSource.getRepository(TaskRun);
    await runs.save(runs.create({ id: "r1", task: "backup", startedAt: new Date("2026-03-02T03:00:00Z"), endedAt: new Date("2026-03-02T03:01:00Z"), status: "failed", exitCode: 2 }));
    const digest = await collectDigest(db.dataSource, clock.now());
    expect(digest.quiet).toBe(false);
    expect(digest.incidents.map((i) => i.subject)).toEqual(["web"]);
    expect(digest.downtime).toEqual([{ service: "agent", ms: 3_600_000 }, { service: "web", ms: 1_800_000 }]);
    expect(digest.failedRuns).toEqual([{ task: "backup", status: "failed", exitCode: 2, startedAt: "2026-03-02T03:00:00.000Z" }]);
  });
});
