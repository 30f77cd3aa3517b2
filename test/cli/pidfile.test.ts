import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { buildSync } from "esbuild";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { acquirePidfile, AlreadyRunning, livePidIn, parsePidRecord, pidRecordFor, removeStalePidfile } from "../../cli/pidfile.js";
import { readProcessStart } from "../../monitor/process-identity.js";
import { makeTempHome } from "../helpers/temp-home.js";

const PIDFILE_SOURCE = fileURLToPath(new URL("../../cli/pidfile.ts", import.meta.url));

describe("the pidfile", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    children.splice(0).forEach((c) => c.kill("SIGKILL"));
    homes.splice(0).forEach((h) => h.cleanup());
  });

  function pidFile(): string {
    const h = makeTempHome();
    homes.push(h);
    mkdirSync(join(h.home, ".tmp"), { recursive: true });
    return join(h.home, ".tmp", "gaia.pid");
  }

  function sleeper(): ChildProcess {
    const child = spawn("sleep", ["60"]);
    children.push(child);
    return child;
  }

  it("records the pid on the first line, then its start time and boot id", () => {
    const file = pidFile();
    const release = acquirePidfile(file);
    const text = readFileSync(file, "utf8");
    expect(text.split("\n")[0]).toBe(String(process.pid));
    expect(parsePidRecord(text)).toMatchObject({ pid: process.pid, startTicks: readProcessStart(process.pid)!.startTicks });
    expect(text).toMatch(/^boot [0-9a-f-]{36}$/m);
    release();
    expect(existsSync(file)).toBe(false);
  });

  it("refuses while another live process holds it, and takes over a stale one", async () => {
    const file = pidFile();
    const other = spawn(process.execPath, ["-e", "setTimeout(()=>{}, 60000)"]);
    children.push(other);
    const releaseOther = acquirePidfile(file, other.pid!);
    expect(() => acquirePidfile(file)).toThrow(AlreadyRunning);
    expect(() => acquirePidfile(file)).toThrow(`another gaia (pid ${other.pid}) is already running`);
    other.kill("SIGKILL");
    await new Promise((resolve) => other.on("exit", resolve));

    const release = acquirePidfile(file); // the holder is dead: stale, taken over
    expect(readFileSync(file, "utf8").split("\n")[0]).toBe(String(process.pid));
    releaseOther(); // a stale holder's release must not remove our file
    expect(existsSync(file)).toBe(true);
    release();
    expect(existsSync(file)).toBe(false);
  });

  it("after a power cut, takes over a pidfile whose pid now belongs to another program (other start time, other boot, or a bare pid)", () => {
    const file = pidFile();
    const unrelated = sleeper();
    const start = readProcessStart(unrelated.pid!)!.startTicks;
    const record = pidRecordFor(unrelated.pid!);
    const bootLine = /^boot .*$/m.exec(record)![0];
    for (const leftover of [
      `${unrelated.pid}\nstart ${start + 12345}\n${bootLine}\n`, // the pid was reused: another start time
      `${unrelated.pid}\nstart ${start}\nboot 00000000-0000-0000-0000-000000000000\n`, // written in another boot
      `${unrelated.pid}\n`, // an older gaia's bare pid, now a program that is not gaia
    ]) {
      writeFileSync(file, leftover);
      expect(livePidIn(file)).toBeUndefined();
      const release = acquirePidfile(file);
      expect(livePidIn(file)).toBe(process.pid);
      release();
    }
    // The same record, though, is a live holder.
    writeFileSync(file, record);
    expect(() => acquirePidfile(file)).toThrow(AlreadyRunning);
  });

  it("takes over a pidfile whose gaia was killed but not yet reaped (a zombie)", async () => {
    const file = pidFile();
    // `sleep 1` becomes a zombie: it ends after its parent has exec'd into `sleep 60`, which never
    // reaps it (`sleep 0` could end before the exec, and the shell reaped it: no zombie).
    const parent = spawn("sh", ["-c", "sleep 1 & echo $!; exec sleep 60"]);
    children.push(parent);
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    for (let i = 0; i < 200 && readProcessStart(zombie)?.state !== "Z"; i++) await new Promise((r) => setTimeout(r, 20));
    expect(readProcessStart(zombie)?.state).toBe("Z");
    writeFileSync(file, `${zombie}\nstart ${readProcessStart(zombie)!.startTicks}\n`);
    const release = acquirePidfile(file);
    expect(livePidIn(file)).toBe(process.pid);
    release();
  });

  it("never removes a racer's fresh pidfile in place of the stale one it judged (the race two starts could both win)", () => {
    const file = pidFile();
    const stale = "999999\nstart 1\n";
    // Start A read the stale file; meanwhile start B removed it and took the pidfile.
    const fresh = pidRecordFor(process.pid);
    writeFileSync(file, fresh);
    expect(removeStalePidfile(file, stale, "4242\n")).toBe(true);
    expect(readFileSync(file, "latin1")).toBe(fresh); // B's file stays: A then finds a live holder
    expect(existsSync(`${file}.takeover`)).toBe(false);
    // While B holds the takeover lock, A waits its turn instead of removing anything.
    writeFileSync(`${file}.takeover`, "4243\n");
    writeFileSync(file, stale);
    expect(removeStalePidfile(file, stale, "4242\n")).toBe(false);
    expect(readFileSync(file, "latin1")).toBe(stale);
  });

  it("lets exactly one of several starts racing on a stale pidfile win", async () => {
    // The racers are separate processes running the real module, bundled for them.
    const bundleDir = mkdtempSync(join(tmpdir(), "gaia-pidfile-"));
    const PIDFILE_MODULE = join(bundleDir, "pidfile.mjs");
    buildSync({ entryPoints: [PIDFILE_SOURCE], bundle: true, platform: "node", format: "esm", outfile: PIDFILE_MODULE, logLevel: "silent" });
    homes.push({ home: bundleDir, cleanup: () => rmSync(bundleDir, { recursive: true, force: true }) } as ReturnType<typeof makeTempHome>);
    for (let round = 0; round < 3; round++) {
      const file = pidFile();
      writeFileSync(file, "999999\nstart 1\n"); // stale
      const script = `
        const { acquirePidfile } = await import(${JSON.stringify(PIDFILE_MODULE)});
        await new Promise((r) => setTimeout(r, Number(process.argv[1]) - Date.now()));
        try { acquirePidfile(${JSON.stringify(file)}); console.log("won"); setTimeout(() => {}, 3000); }
        catch (e) { console.log(e.name === "AlreadyRunning" ? "lost" : "error " + e.message); }`;
      const startAt = String(Date.now() + 1500);
      const racers = Array.from({ length: 6 }, () => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script, startAt]);
        children.push(child);
        return new Promise<string>((resolve) => {
          let out = "";
          child.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) resolve(out.trim());
          });
          child.on("exit", () => resolve(out.trim()));
        });
      });
      const outcomes = await Promise.all(racers);
      expect(outcomes.filter((o) => o === "won")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "lost")).toHaveLength(5);
    }
  }, 30_000);
});
