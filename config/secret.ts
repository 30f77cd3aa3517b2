import { createHash } from "node:crypto";
import { inspect } from "node:util";

/**
 * A secret value that cannot leak by accident: `toString`, `toJSON` and `util.inspect` print a
 * fingerprint (`ghp_…a1b2`), never the value. Call `reveal()` at the one place that needs it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value; call only where it is sent to the service it authenticates. */
  reveal(): string {
    return this.#value;
  }

  /** A short, non-reversible identification: prefix, last four characters and a hash. */
  get fingerprint(): string {
    return fingerprintOf(this.#value);
  }

  equals(other: Secret | string): boolean {
    const value = typeof other === "string" ? other : other.reveal();
    return value === this.#value;
  }

  toString(): string {
    return this.fingerprint;
  }

  toJSON(): string {
    return this.fingerprint;
  }

  [inspect.custom](): string {
    return `Secret(${this.fingerprint})`;
  }
}

/** `ghp_…a1b2 (sha256:0123abcd)`: enough to tell two tokens apart, nothing to reuse. */
export function fingerprintOf(value: string): string {
  const prefixMatch = /^([a-z]{2,4}_|github_pat_|\d{6,12}:)/i.exec(value);
  const prefix = prefixMatch ? prefixMatch[1] : "";
  const tail = value.length >= 12 ? value.slice(-4) : "";
  const hash = createHash("sha256").update(value).digest("hex").slice(0, 8);
  return `${prefix}…${tail} (sha256:${hash})`;
}
