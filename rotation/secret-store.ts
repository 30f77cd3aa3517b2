import type { Secret } from "../config/secret.js";

/**
 * One place the current GitHub token lives (CONTRACT section 3, `rotation.stores`). Writing
 * either succeeds or throws a RotationFailed("store-failed") that says what went wrong, never the token.
 */
export interface SecretStore {
  /** How the store is named in the chat and the audit trail: `env-file`, `github-actions owner/name GAIA_GITHUB_TOKEN`, `command bw-update`. */
  readonly name: string;
  /** Makes `token` the store's current value. */
  write(token: Secret): Promise<void>;
  /** The value as stored, when the store can be read back (the smoke test uses it). */
  readBack?(): Promise<Secret | undefined>;
  /** Called once the rotation is done (drop backups). */
  finish?(): Promise<void>;
}
