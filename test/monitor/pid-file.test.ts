import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPidFile } from "../../monitor/pid-file.js";

const dir = mkdtempSync(join(tmpdir(), "gaia-pidfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pidfile(content: string): string {
  const path = join(dir, `${Math.random()}.pid`);
  writeFileSync(path, content);
  return path;
}

describe("reading a service's pidfile", () => {
  it("reads the pid on the first line, with or without a newline", () => {
    expect(readPidFile(pidfile("1234\n"))).toBe(1234);
    expect(readPidFile(pidfile("  77  "))).toBe(77);
    expect(readPidFile(pidfile("88\nextra line\n"))).toBe(88);
  });

  it("has no pid for a missing, empty or garbled file", () => {
    expect(readPidFile(join(dir, "missing.pid"))).toBeUndefined();
    expect(readPidFile(pidfile(""))).toBeUndefined();
    expect(readPidFile(pidfile("abc"))).toBeUndefined();
    expect(readPidFile(pidfile("-5"))).toBeUndefined();
    expect(readPidFile(pidfile("0"))).toBeUndefined();
    expect(readPidFile(pidfile("12 34"))).toBeUndefined();
  });
});

describe("a pidfile that is not a small regular file", () => {
  it("is no pid, at once: a FIFO with no writer, /dev/zero, a directory, a dangling link", () => {
    const fifo = join(dir, "fifo.pid");
    execFileSync("mkfifo", [fifo]);
    const dangling = join(dir, "dangling.pid");
    symlinkSync(join(dir, "nowhere"), dangling);
    const zeroLink = join(dir, "zero.pid");
    symlinkSync("/dev/zero", zeroLink);
    for (const path of [fifo, "/dev/zero", zeroLink, dir, dangling]) expect(readPidFile(path), path).toBeUndefined();
  });

  it("reads only the start of a huge file (a 2 GiB sparse file is not read whole)", () => {
    const huge = join(dir, "huge.pid");
    writeFileSync(huge, "4321\n");
    truncateSync(huge, 2 * 1024 ** 3);
    expect(readPidFile(huge)).toBe(4321);
  });
});
