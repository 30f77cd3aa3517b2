import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { closeLogger, createLogger } from "../../cli/logger.js";
import { createRedactor } from "../../config/redact.js";
import { makeTempHome } from "../helpers/temp-home.js";

describe("the log", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  it("writes JSON lines to .tmp/logs with token-shaped strings and known secrets redacted", async () => {
    const h = makeTempHome();
    homes.push(h);
    const logDir = join(h.home, ".tmp", "logs");
    const logger = await createLogger({ level: "info", logDir, toStdout: false, redact: createRedactor(["my-backup-passphrase"]) });
    const fakeGithubToken = "ghp_" + "Z".repeat(36);
    logger.info({ token: fakeGithubToken }, "job printed my-backup-passphrase and 987654321:" + "Q".repeat(35));
    logger.debug("not written at info level");
    await closeLogger(logger);

    const files = readdirSync(logDir);
    expect(files).toEqual(["gaia.1.log"]);
    const lines = readFileSync(join(logDir, files[0]), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "info", token: "[REDACTED]", msg: "job printed [REDACTED] and [REDACTED]" });
  });

  it("rotates by size and keeps a limited number of files", async () => {
    const h = makeTempHome();
    homes.push(h);
    const logDir = join(h.home, ".tmp", "logs");
    const logger = await createLogger({ level: "info", logDir, toStdout: false, maxFileSize: "1k", maxFiles: 2 });
    for (let i = 0; i < 200; i++) {
      logger.info({ i }, "x".repeat(100));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await closeLogger(logger);
    const files = readdirSync(logDir).filter((f) => f.endsWith(".log"));
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(3); // the current file plus the retained ones
  });

  it("rotates at the size: whole lines in 0600 files, the current one and the newest older ones, numbered on", async () => {
    const h = makeTempHome();
    homes.push(h);
    const logDir = join(h.home, ".tmp", "logs");
    const logger = await createLogger({ level: "info", logDir, toStdout: false, maxFileSize: "1k", maxFiles: 2 });
    for (let i = 0; i < 100; i++) logger.info({ i }, "x".repeat(100));
    await closeLogger(logger);
    const files = readdirSync(logDir).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
    expect(statSync(logDir).mode & 0o777).toBe(0o700);
    // ~160 bytes a line, 1 KB a file: many rotations, of which the current file and 2 older remain.
    expect(files).toHaveLength(3);
    const numbers = files.map((f) => Number(/^gaia\.(\d+)\.log$/.exec(f)![1]));
    expect(numbers[1]).toBe(numbers[0]! + 1);
    expect(numbers[2]).toBe(numbers[0]! + 2);
    expect(numbers[2]).toBeGreaterThan(10);
    const kept: number[] = [];
    for (const file of files) {
      expect(statSync(join(logDir, file)).mode & 0o777).toBe(0o600);
      const text = readFileSync(join(logDir, file), "utf8");
      expect(text.length).toBeLessThan(1024 + 200); // rotated at the first line past 1 KB
      kept.push(...text.trim().split("\n").map((l) => (JSON.parse(l) as { i: number }).i));
    }
    // The newest lines, none missing between the oldest kept and the last.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 100 - kept.length + k));
  });

  it("keeps the file limit across restarts: files of earlier runs count too", async () => {
    const h = makeTempHome();
    homes.push(h);
    const logDir = join(h.home, ".tmp", "logs");
    for (let run = 0; run < 3; run++) {
      const logger = await createLogger({ level: "info", logDir, toStdout: false, maxFileSize: "1k", maxFiles: 2 });
      for (let i = 0; i < 60; i++) {
        logger.info({ run, i }, "x".repeat(100));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await closeLogger(logger);
    }
    const files = readdirSync(logDir).filter((f) => f.endsWith(".log"));
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(3); // the current file plus the retained ones
    // The last run's last line is in the highest-numbered file.
    const newest = files.sort((a, b) => Number(b.split(".")[1]) - Number(a.split(".")[1]))[0]!;
    expect(readFileSync(join(logDir, newest), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { run: number; i: number }).at(-1)).toMatchObject({ run: 2, i: 59 });
  });

  it("on a full disk drops log lines instead of stopping the monitor", async () => {
    const h = makeTempHome();
    homes.push(h);
    const logDir = join(h.home, ".tmp", "logs");
    mkdirSync(logDir, { recursive: true });
    // /dev/full answers every write with ENOSPC, like a full file system.
    symlinkSync("/dev/full", join(logDir, "gaia.1.log"));
    const logger = await createLogger({ level: "info", logDir, toStdout: false });
    for (let i = 0; i < 5000; i++) logger.info({ i }, "x".repeat(200));
    logger.error("still alive");
    await closeLogger(logger);
  });

  it("drops a line logged after it was closed instead of throwing (late lines during shutdown)", async () => {
    const h = makeTempHome();
    homes.push(h);
    const logger = await createLogger({ level: "info", logDir: join(h.home, ".tmp", "logs"), toStdout: false });
    logger.info("before");
    await closeLogger(logger);
    expect(() => logger.warn("a poller finishing late")).not.toThrow();
  });
});
