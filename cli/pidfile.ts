import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Raised when another live gaia already holds the pidfile of this home. */
export class AlreadyRunning extends Error {
  constructor(readonly pid: number, file: string) {
    super(`another gaia (pid ${pid}) is already running on this home (${file}); stop it first, or use another GAIA_HOME`);
    this.name = "AlreadyRunning";
  }
}

/** The pid written in a pidfile, when the file exists and that process is alive. */
export function livePidIn(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive but another user's process; ESRCH: gone.
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

/**
 * Takes `.tmp/gaia.pid` for this process: refuses while another live process holds it, takes over
 * a stale one. The `wx` flag makes the take atomic when two start at the same moment.
 * Returns the release function.
 */
export function acquirePidfile(file: string, pid = process.pid): () => void {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: "wx" });
      return () => {
        if (livePidIn(file) === pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = livePidIn(file);
      if (holder !== undefined && holder !== pid) throw new AlreadyRunning(holder, file);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new AlreadyRunning(livePidIn(file) ?? 0, file);
}
