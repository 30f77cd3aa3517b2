import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findDatabaseHolders } from "../../cli/database-holders.js";

const root = mkdtempSync(join(tmpdir(), "gaia-holders-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the processes holding gaia.db", () => {
  it("are named by pid and command line, with a password on it redacted", () => {
    const db = join(root, "gaia.db");
    const proc = join(root, "proc");
    mkdirSync(join(proc, "4242", "fd"), { recursive: true });
    symlinkSync(`${db}-wal`, join(proc, "4242", "fd", "3"));
    writeFileSync(join(proc, "4242", "cmdline"), ["sqlite3", "--password=hunter2hunter2", db].map((a) => `${a}\0`).join(""));
    mkdirSync(join(proc, "77", "fd"), { recursive: true });
    writeFileSync(join(proc, "77", "cmdline"), "bash\0");
    expect(findDatabaseHolders(db, proc, 1)).toEqual([{ pid: 4242, command: `sqlite3 --password=[REDACTED] ${db}` }]);
  });
});
