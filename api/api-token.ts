import { existsSync, readFileSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { ConfigError } from "../config/config-error.js";
import { Secret } from "../config/secret.js";
import { writePrivateFileAtomic } from "../config/write-private-file.js";
import type { Config } from "../config/types.js";

/**
 * The bearer token of the local API: `GAIA_API_TOKEN`, else `.private/api-token`, made with mode
 * 0600 on first start. Local scripts (`gaia approve`, `gaia run`) read the same file.
 */
export function ensureApiToken(config: Config): Secret {
  const existing = readApiToken(config);
  if (existing) return existing;
  writePrivateFileAtomic(config.paths.apiTokenFile, `${randomBytes(32).toString("hex")}\n`);
  return readApiToken(config)!;
}

/** The API token if one is configured or was made, without creating one. */
export function readApiToken(config: Config): Secret | undefined {
  if (config.env.apiToken) return config.env.apiToken;
  const file = config.paths.apiTokenFile;
  if (!existsSync(file)) return undefined;
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new ConfigError([`.private/api-token: readable by group or others; run chmod 600 ${file}`]);
  }
  let value: string;
  try {
    value = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new ConfigError([`.private/api-token: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); remove ${file} and start gaia to make a new one`]);
  }
  return value ? new Secret(value) : undefined;
}
