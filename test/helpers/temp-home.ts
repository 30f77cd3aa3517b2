import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh gaia home folder under the system temp dir, with helpers to write its files. */
export function makeTempHome(prefix = "gaia-test-"): {
  home: string;
  writeConfig(yaml: string): void;
  writeEnv(lines: Record<string, string> | string, mode?: number): void;
  cleanup(): void;
} {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return {
    home,
    writeConfig(yaml) {
      writeFileSync(join(home, "gaia.yml"), yaml);
    },
    writeEnv(lines, mode = 0o600) {
      mkdirSync(join(home, ".private"), { recursive: true, mode: 0o700 });
      const text = typeof lines === "string" ? lines : Object.entries(lines).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
      const file = join(home, ".private", ".env");
      writeFileSync(file, text, { mode });
      chmodSync(file, mode);
    },
    cleanup() {
      rmSync(home, { recursive: true, force: true });
    },
  };
}
