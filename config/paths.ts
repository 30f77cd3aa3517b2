import { resolve, join } from "node:path";
import type { GaiaPaths } from "./types.js";

/** The files of one gaia home folder (CONTRACT section 1), all absolute. */
export function gaiaPaths(home: string): GaiaPaths {
  const root = resolve(home);
  const tmpDir = join(root, ".tmp");
  return {
    home: root,
    configFile: join(root, "gaia.yml"),
    privateDir: join(root, ".private"),
    envFile: join(root, ".private", ".env"),
    apiTokenFile: join(root, ".private", "api-token"),
    database: join(root, "gaia.db"),
    tmpDir,
    pidFile: join(tmpDir, "gaia.pid"),
    logDir: join(tmpDir, "logs"),
    spoolDir: join(tmpDir, "spool"),
  };
}

/** `$GAIA_HOME`, or the current directory when it is unset. */
export function resolveHome(env: NodeJS.ProcessEnv, cwd: string): string {
  const fromEnv = env.GAIA_HOME?.trim();
  return resolve(cwd, fromEnv ? fromEnv : ".");
}
