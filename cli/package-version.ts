import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * gaia's version from its package.json, found by walking up from this file: the same code runs
 * from cli/ (tests), dist/cli/ and the bundle's dist/chunks/, each a different depth. "unknown"
 * when no package.json is found (gaia_build_info still says which Node runs it).
 */
export function packageVersion(from = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "gaia-monitor" && pkg.version) return pkg.version;
      } catch {
        // not ours; keep walking up
      }
    }
    if (dirname(dir) === dir) return "unknown";
  }
}
