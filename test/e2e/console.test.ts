import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, GAIA_BIN, startGaia, type GaiaProcess } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { eventually } from "./monitoring-harness.js";

const ADMIN = 4242;
const HAS_SCRIPT = spawnSync("script", ["--version"]).status === 0;

/** How many probe samples gaia.db holds (0 while the file or its table is not there yet). */
function storedSamples(home: string): number {
  try {
    const db = new Database(join(home, "gaia.db"), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM samples").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

/**
 * Console mode, the newcomer's first contact: the same chat commands, through the same grammY
 * handlers, typed at a prompt. Probes run at start and then every hour (a timer from the start), so a Refresh finds
 * nothing new.
 */
describe("console mode", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function home() {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    home.writeConfig(
      [
        "telegram:",
        `  admins: [${ADMIN}]`,
        "probe:",
        "  every: 1h",
        "heartbeat:",
        "  every: 1h",
        "api:",
        `  listen: 127.0.0.1:${await freePort()}`,
        "services:",
        "  - name: ghost",
        "    match: { process: no-such-process-c1 }",
      ].join("\n"),
    );
    return home.home;
  }

  it("answers /status, /top and /history typed on standard input, and presses buttons by number", async () => {
    const dir = await home();
    const gaia: GaiaProcess = startGaia(["start", "--console"], { home: dir, stdin: "pipe" });
    cleanups.push(() => gaia.stop("SIGKILL"));
    await gaia.waitForOutput("gaia> ");
    const type = (line: string) => gaia.child.stdin!.write(`${line}\n`);
    // The first probe's figures reach /status a moment before its samples (the charts) are stored;
    // wait for them, so that the Refresh below has nothing new to show.
    await eventually(() => storedSamples(dir) > 0, 15_000, "the first probe's samples in gaia.db");

    type("/status");
    await gaia.waitForOutput(/Gaia · .*\nCPU +\d/);
    expect(gaia.output()).toContain("🔴 ghost · down"); // not matched by the first probe, not yet confirmed
    expect(gaia.output()).toContain("[1] 🔄 Refresh  (type the number to press)");
    expect(gaia.output()).not.toMatch(/<\/?(b|pre|i)>/); // HTML becomes terminal text
    type("1");
    await gaia.waitForOutput("(Up to date)");

    type("/top");
    await gaia.waitForOutput(/Top processes by CPU[\s\S]*\[2\] Sort by memory  \[3\] 🔄 Refresh/);
    type("2");
    await gaia.waitForOutput(/\(updated\) Top processes by memory/);

    type("/history ghost");
    await gaia.waitForOutput("History of ghost (newest first)");
    type("/nonsense");
    await gaia.waitForOutput("I don't know /nonsense. Send /help for the list of commands.");

    gaia.child.stdin!.end(); // closing the console stops the monitor
    expect(await gaia.exited).toBe(0);
  });

  it.skipIf(!HAS_SCRIPT)("starts console mode by itself on a real terminal without a bot token", async () => {
    const gaiaHome = await home();
    // script(1) runs gaia on a pseudo-terminal: no --console, so only TTY detection can choose it.
    const child = spawn("script", ["-qfc", `${JSON.stringify(process.execPath)} ${JSON.stringify(GAIA_BIN)} start`, "/dev/null"], {
      cwd: gaiaHome,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: gaiaHome, GAIA_HOME: gaiaHome, TERM: "xterm" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    cleanups.push(() => child.kill("SIGKILL"));
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const waitFor = async (pattern: RegExp, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (Date.now() > deadline) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms; output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    await waitFor(/gaia> /);
    expect(output).toContain("console mode");
    child.stdin.write("/status\r");
    await waitFor(/Gaia · /);
    // On a terminal, bold is drawn with ANSI codes rather than tags.
    expect(output).toMatch(/\u001b\[1mGaia · /);
    child.stdin.write("\u0004"); // Ctrl-D: end of input closes the console and stops the monitor
    expect(await exited).toBe(0);
  });
});
