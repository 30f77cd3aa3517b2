import { randomBytes } from "node:crypto";
import { ConfigError } from "../config/config-error.js";
import { describeUnreadable, readRegularFile } from "../config/read-regular-file.js";
import { Secret } from "../config/secret.js";
import { writePrivateFileAtomic } from "../config/write-private-file.js";
import type { Config } from "../config/types.js";

/** A token is 64 hex characters; the file is never read beyond this. */
const MAX_TOKEN_FILE_BYTES = 4096;

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
  // Never blocks on a FIFO, never reads a device (readRegularFile).
  const read = readRegularFile(file, MAX_TOKEN_FILE_BYTES);
  if (!read.ok && read.problem === "missing") return undefined;
  if (!read.ok) throw new ConfigError([`.private/api-token: ${describeUnreadable(read)}; remove ${file} and start gaia to make a new one`]);
  if ((read.mode & 0o077) !== 0) {
    throw new ConfigError([`.private/api-token: readable by group or others; run chmod 600 ${file}`]);
  }
  const value = read.text.trim();
  return value ? new Secret(value) : undefined;
}
