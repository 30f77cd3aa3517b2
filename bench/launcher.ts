/**
 * Figure 7, launcher overhead: the wall time of `gaia run TASK -- true` (load and check
 * .private/.env, run the job, report start and end to the running monitor) next to `true` alone
 * and to `node -e 0`, the floor for anything started through Node.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { GAIA_BIN, gaiaEnvironment } from "./lib/gaia-process.js";
import { median } from "./lib/numbers.js";

export interface LauncherResult {
  runs: number;
  trueMs: number;
  nodeMs: number;
  gaiaRunMs: number;
  /** gaia run − node -e 0: what gaia adds to any Node program. */
  overheadOverNodeMs: number;
  /** Run reports left in .tmp/spool/ (0: every run reached the running monitor). */
  spooledReports: number;
}

/** Times `runs` runs of each command, interleaved, from spawn to exit; medians. */
export async function measureLauncher(home: string, task: string, runs: number): Promise<LauncherResult> {
  const env = gaiaEnvironment(home);
  const commands = {
    true: ["true", []],
    node: [process.execPath, ["-e", "0"]],
    gaiaRun: [process.execPath, [GAIA_BIN, "run", task, "--", "true"]],
  } as const;
  const times = { true: [] as number[], node: [] as number[], gaiaRun: [] as number[] };
  for (let i = 0; i < runs + 1; i++) {
    for (const [key, [command, args]] of Object.entries(commands) as [keyof typeof commands, (typeof commands)[keyof typeof commands]][]) {
      const started = performance.now();
      const child = spawn(command, [...args], { cwd: home, env, stdio: "ignore" });
      const [code] = (await once(child, "exit")) as [number | null];
      const ms = performance.now() - started;
      if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
      if (i > 0) times[key].push(ms); // the first round only warms the file cache
    }
  }
  const result = { runs, trueMs: median(times.true), nodeMs: median(times.node), gaiaRunMs: median(times.gaiaRun) };
  const spool = join(home, ".tmp", "spool");
  const spooledReports = existsSync(spool) ? readdirSync(spool).length : 0;
  return { ...result, overheadOverNodeMs: result.gaiaRunMs - result.nodeMs, spooledReports };
}
