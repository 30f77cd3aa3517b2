import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { acquirePidfile, AlreadyRunning } from "../../cli/pidfile.js";
import { makeTempHome } from "../helpers/temp-home.js";

describe("the pidfile", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  it("refuses while another live process holds it, and takes over a stale one", async () => {
    const h = makeTempHome();
    homes.push(h);
    const file = join(h.home, ".tmp", "gaia.pid");
    const other = spawn(process.execPath, ["-e", "setTimeout(()=>{}, 60000)"]);
    const releaseOther = acquirePidfile(file, other.pid!);
    expect(() => acquirePidfile(file)).toThrow(AlreadyRunning);
    expect(() => acquirePidfile(file)).toThrow(`another gaia (pid ${other.pid}) is already running`);
    other.kill("SIGKILL");
    await new Promise((resolve) => other.on("exit", resolve));

    const release = acquirePidfile(file); // the holder is dead: stale, taken over
    expect(readFileSync(file, "utf8").trim()).toBe(String(process.pid));
    releaseOther(); // a stale holder's release must not remove our file
    expect(existsSync(file)).toBe(true);
    release();
    expect(existsSync(file)).toBe(false);
  });
});
