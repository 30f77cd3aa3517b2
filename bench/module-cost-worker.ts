/**
 * The worker of bench/module-cost.ts, in a fresh process of its own:
 * `node --expose-gc dist-bench/bench/module-cost-worker.js`. Imports the npm packages that `gaia start`
 * loads, one after the other (grammY first: the bare bot's floor), then gaia's own code, and
 * prints, as one JSON line, what each step added to the resident memory (after a GC) and how
 * long its import took.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One step of the cumulative import. */
export interface ModuleCostStep {
  module: string;
  importMs: number;
  /** RSS and V8 heap in use after the step, each after a forced GC. */
  rssBytes: number;
  heapUsedBytes: number;
}

const gc = globalThis.gc;
if (typeof gc !== "function") throw new Error("run with node --expose-gc");
const START_COMMAND = fileURLToPath(new URL("../cli/commands/start.js", import.meta.url));

/**
 * The npm packages reachable from a compiled module through static and dynamic imports of gaia's
 * own files, in the order first met. Type-only imports are gone from the compiled JavaScript.
 */
function packagesReachableFrom(entry: string): string[] {
  const packages: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)"([^"]+)"/g)) {
      const specifier = match[1];
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith("node:")) {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
        if (!packages.includes(name)) packages.push(name);
      }
    }
  };
  visit(entry);
  return packages;
}

async function measure(module: string, load: () => Promise<unknown>): Promise<ModuleCostStep> {
  const started = performance.now();
  await load();
  const importMs = performance.now() - started;
  gc!();
  gc!();
  const memory = process.memoryUsage();
  return { module, importMs, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed };
}

const steps: ModuleCostStep[] = [await measure("node", async () => undefined)];
const packages = packagesReachableFrom(START_COMMAND);
// grammY and its plugins first: together they are what the bare bot loads too.
const ordered = [...packages.filter((p) => p === "grammy"), ...packages.filter((p) => p.startsWith("@grammyjs/")), ...packages.filter((p) => p !== "grammy" && !p.startsWith("@grammyjs/"))];
for (const name of ordered) steps.push(await measure(name, () => import(name)));
steps.push(await measure("gaia's own code (dist/)", () => import(START_COMMAND)));
process.stdout.write(`${JSON.stringify(steps)}\n`);
process.exit(0);
