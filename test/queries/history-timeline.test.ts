import type { DataSource } from "typeorm";
import { describe, expect, it } from "vitest";
import { AuditEvent, Incident, TaskRun } from "../../entities/index.js";
import { readHistoryPage } from "../../queries/history-timeline.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { tempDatabase } from "../helpers/temp-database.js";

describe("the /history timeline read from gaia.db", () => {
  const defer = deferCleanups();

  async function database(): Promise<DataSource> {
    const db = await tempDatabase();
    defer(() => db.close());
    return db.dataSource;
  }

  const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 12, minute));

  it("merges incidents, events and a task's runs newest first, and pages through them without gaps or repeats", async () => {
    const db = await database();
    const events = Array.from({ length: 12 }, (_, i) => ({ at: at(i * 2), kind: "service.down", actor: "system", subject: i % 2 ? "agent" : "backup", message: `event ${i}` }));
    await db.getRepository(AuditEvent).save(events);
    await db.getRepository(Incident).save([
      { key: "a", subjectKind: "service", subjectName: "agent", condition: "down", status: "resolved", openedAt: at(3), resolvedAt: at(5) },
      { key: "b", subjectKind: "task", subjectName: "backup", condition: "failed", status: "open", openedAt: at(7) },
    ]);
    await db.getRepository(TaskRun).save([
      { id: "r1", task: "backup", startedAt: at(1), status: "succeeded", exitCode: 0, durationMs: 1000 },
      { id: "r2", task: "backup", startedAt: at(9), status: "failed", exitCode: 2, durationMs: 1000 },
    ]);

    const all = await readHistoryPage(db, { subject: null, page: 0, perPage: 100, isTask: false });
    expect(all.total).toBe(14); // runs only in a task's own history
    expect(all.entries.map((e) => e.at)).toEqual([...all.entries.map((e) => e.at)].sort().reverse());

    const pages = [];
    for (let page = 0; page < 3; page++) pages.push(await readHistoryPage(db, { subject: "backup", page, perPage: 4, isTask: true }));
    expect(pages.map((p) => [p.page, p.pages, p.total])).toEqual([[0, 3, 9], [1, 3, 9], [2, 3, 9]]);
    const seen = pages.flatMap((p) => p.entries.map((e) => `${e.kind}:${e.id}`));
    expect(new Set(seen).size).toBe(9);
    expect(pages[0].entries.map((e) => [e.kind, e.at])).toEqual([
      ["event", at(20).toISOString()],
      ["event", at(16).toISOString()],
      ["event", at(12).toISOString()],
      ["run", at(9).toISOString()],
    ]);
    expect(pages[2].entries.at(-1)).toMatchObject({ kind: "event", at: at(0).toISOString() });
    expect(pages[1].entries).toContainEqual(expect.objectContaining({ kind: "incident", condition: "failed", resolvedAt: null }));

    // A page past the end shows the last one.
    expect((await readHistoryPage(db, { subject: "backup", page: 50, perPage: 4, isTask: true })).page).toBe(2);
    const nothing = await readHistoryPage(db, { subject: "nobody", page: 0, perPage: 4, isTask: false });
    expect([nothing.entries, nothing.pages, nothing.total]).toEqual([[], 1, 0]);
  });
});
