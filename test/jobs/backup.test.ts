import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../cli/logger.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { runBackup } from "../../jobs/backup.js";
import { manualClock, tempDatabase } from "../helpers/temp-database.js";

const HOUR = 3_600_000;

describe("the daily backup of gaia.db", () => {
  let db: Awaited<ReturnType<typeof tempDatabase>> | undefined;
  afterEach(() => db?.close());

  it("copies gaia.db with SQLite's online backup once a day, files 0600, keeping the newest `keep` copies", async () => {
    db = await tempDatabase();
    const clock = manualClock("2026-12-01T03:00:00.000Z");
    await new AuditTrail(db.dataSource, clock.now).record({ kind: "monitor.started", message: "in the backup" });
    const folder = join(db.file, "..", "backups");
    const backup = () => runBackup({ dataSource: db!.dataSource, databaseFile: db!.file, everyMs: 24 * HOUR, keep: 3, folder, logger: silentLogger(), now: clock.now });

    const first = await backup();
    expect(first).toBe(join(folder, "gaia-2026-12-01T030000Z.db"));
    expect(statSync(first!).mode & 0o777).toBe(0o600);
    const copy = new Database(first!, { readonly: true, fileMustExist: true });
    expect(copy.prepare("SELECT message FROM events").all()).toEqual([{ message: "in the backup" }]);
    copy.close();

    // Hourly checks in between make no copy; a restart does not either.
    for (let h = 1; h < 24; h++) {
      clock.advance(HOUR);
      expect(await backup()).toBeUndefined();
    }
    // Ten days later, three copies remain: the newest.
    for (let d = 0; d < 10; d++) {
      clock.advance(HOUR);
      await backup();
      clock.advance(23 * HOUR);
    }
    writeFileSync(join(folder, "notes.txt"), "not a backup");
    expect(readdirSync(folder).sort()).toEqual(["gaia-2026-12-09T030000Z.db", "gaia-2026-12-10T030000Z.db", "gaia-2026-12-11T030000Z.db", "notes.txt"]);
  });

  it("makes none with every: 0", async () => {
    db = await tempDatabase();
    const folder = join(db.file, "..", "backups");
    expect(await runBackup({ dataSource: db.dataSource, databaseFile: db.file, everyMs: 0, keep: 3, folder, logger: silentLogger(), now: () => new Date() })).toBeUndefined();
  });
});
