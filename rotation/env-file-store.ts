import { copyFileSync, existsSync, readFileSync, rmSync, chmodSync } from "node:fs";
import { Secret } from "../config/secret.js";
import { writePrivateFileAtomic } from "../config/write-private-file.js";
import { RotationFailed } from "./rotation-errors.js";
import type { SecretStore } from "./secret-store.js";

const KEY = "GITHUB_TOKEN";

/**
 * `.private/.env`, key GITHUB_TOKEN: the line is replaced (or added) and the file rewritten
 * atomically with mode 0600, every other line kept as it was. Before the first write of a
 * rotation, the file is copied to `.private/.env.rotation-backup` (0600), kept until the rotation is done.
 */
export class EnvFileStore implements SecretStore {
  readonly name = "env-file";

  constructor(private readonly envFile: string) {}

  get backupFile(): string {
    return `${this.envFile}.rotation-backup`;
  }

  async write(token: Secret): Promise<void> {
    try {
      const text = existsSync(this.envFile) ? readFileSync(this.envFile, "utf8") : "";
      if (existsSync(this.envFile) && !existsSync(this.backupFile)) {
        copyFileSync(this.envFile, this.backupFile);
        chmodSync(this.backupFile, 0o600);
      }
      writePrivateFileAtomic(this.envFile, replaceKey(text, KEY, token.reveal()));
    } catch (error) {
      throw new RotationFailed(`cannot write ${KEY} to .private/.env: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "store-failed");
    }
  }

  async readBack(): Promise<Secret | undefined> {
    if (!existsSync(this.envFile)) return undefined;
    const value = readKey(readFileSync(this.envFile, "utf8"), KEY);
    return value === undefined ? undefined : new Secret(value);
  }

  async finish(): Promise<void> {
    rmSync(this.backupFile, { force: true });
  }
}

const linePattern = (key: string) => new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`);

/** The file with `key`'s line set to `value` (added at the end when absent); comments and other lines kept. */
export function replaceKey(text: string, key: string, value: string): string {
  const lines = text.split("\n");
  const at = lines.findIndex((line) => linePattern(key).test(line));
  if (at >= 0) lines[at] = `${key}=${value}`;
  else {
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    lines.push(`${key}=${value}`, "");
  }
  return lines.join("\n");
}

/** `key`'s value in a .env text (last assignment wins, quotes removed). */
export function readKey(text: string, key: string): string | undefined {
  let value: string | undefined;
  for (const line of text.split("\n")) {
    if (!linePattern(key).test(line)) continue;
    value = line.slice(line.indexOf("=") + 1).trim().replace(/^(['"])(.*)\1$/, "$2");
  }
  return value;
}
