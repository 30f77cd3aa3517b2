import { spawn } from "node:child_process";
import { redactSecrets } from "../config/redact.js";
import type { Secret } from "../config/secret.js";
import { RotationFailed } from "./rotation-errors.js";
import type { SecretStore } from "./secret-store.js";

/** How long a password manager's CLI may take. */
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * Any password manager's CLI (`run:` in gaia.yml, through `sh -c`): the token goes to its
 * standard input, followed by a newline, never into its arguments or environment (both are
 * visible to other users in `ps` or /proc). Exit code 0 is success.
 */
export class CommandStore implements SecretStore {
  readonly name: string;

  constructor(private readonly run: string, private readonly options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.name = `command ${run.split(/\s/)[0]}`;
  }

  write(token: Secret): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", this.run], { cwd: this.options.cwd, env: this.options.env, stdio: ["pipe", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
      const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(new RotationFailed(`${this.name}: cannot run it: ${error.message}`, "store-failed"));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve();
        const tail = redactSecrets(stderr.trim().split("\n").slice(-3).join(" "), [token.reveal()]).slice(0, 300);
        reject(new RotationFailed(`${this.name} failed (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ""}`, "store-failed"));
      });
      child.stdin.on("error", () => undefined); // a command that does not read its input fails by its exit code
      child.stdin.end(`${token.reveal()}\n`);
    });
  }
}
