import { existsSync, readFileSync, rmSync } from "node:fs";
import { Secret } from "../config/secret.js";
import { writePrivateFileAtomic } from "../config/write-private-file.js";

/** The tokens of the rotation in progress, by stage (as AWS Secrets Manager names them). */
export interface Stages {
  rotationId: number;
  /** The new token, from the moment it is staged until the rotation is done or rolled back. */
  pending?: Secret;
  /** The old token, kept until it is confirmed dead, so a rollback can put it back. */
  previous?: Secret;
}

/**
 * The staging area of a rotation, `.private/rotation-stages.json` (0600, replaced atomically):
 * the pending and previous tokens live here, never in gaia.db (which only keeps fingerprints) and
 * never in the chat plugin's storage. A crash at any step finds them here on the next start.
 */
export class TokenStages {
  constructor(readonly file: string) {}

  read(): Stages | undefined {
    if (!existsSync(this.file)) return undefined;
    const raw = JSON.parse(readFileSync(this.file, "utf8")) as { rotationId: number; pending?: string; previous?: string };
    return {
      rotationId: raw.rotationId,
      ...(raw.pending ? { pending: new Secret(raw.pending) } : {}),
      ...(raw.previous ? { previous: new Secret(raw.previous) } : {}),
    };
  }

  /** Stages for `rotationId`; written to disk before any use of the tokens. */
  write(stages: Stages): void {
    writePrivateFileAtomic(
      this.file,
      JSON.stringify({ rotationId: stages.rotationId, pending: stages.pending?.reveal(), previous: stages.previous?.reveal() }) + "\n",
    );
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}
