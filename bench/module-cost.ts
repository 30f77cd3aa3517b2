/**
 * Where gaia's memory and start-up go: what each npm package that `gaia start` loads adds to the
 * resident memory and to the import time, measured cumulatively in a fresh process (see
 * module-cost-worker.ts). Not a figure of the issue: it explains the memory and start-up figures.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { ModuleCostStep } from "./module-cost-worker.js";

const WORKER = fileURLToPath(new URL("./module-cost-worker.js", import.meta.url));

/** One package's cost, as added on top of everything imported before it. */
export interface ModuleCost {
  module: string;
  addedRssBytes: number;
  addedHeapBytes: number;
  importMs: number;
}

export interface ModuleCostResult {
  /** RSS of a bare node process after a GC. */
  nodeRssBytes: number;
  /** RSS once grammY and its plugins are loaded, the bare bot's share. */
  grammyRssBytes: number;
  /** RSS once everything `gaia start` imports is loaded, before it does anything. */
  allRssBytes: number;
  /** Import time of everything, ms. */
  allImportMs: number;
  costs: ModuleCost[];
}

/** Runs the worker `runs` times and keeps, per package, the median of its costs. */
export async function measureModuleCost(runs: number): Promise<ModuleCostResult> {
  const reports: ModuleCostStep[][] = [];
  for (let i = 0; i < runs; i++) {
    const worker = spawn(process.execPath, ["--expose-gc", WORKER], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    worker.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = (await once(worker, "exit")) as [number | null];
    if (code !== 0) throw new Error(`the module cost worker exited with ${code}`);
    reports.push(JSON.parse(stdout.trim()) as ModuleCostStep[]);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const first = reports[0];
  const costs: ModuleCost[] = first.slice(1).map((step, i) => ({
    module: step.module,
    addedRssBytes: median(reports.map((r) => r[i + 1].rssBytes - r[i].rssBytes)),
    addedHeapBytes: median(reports.map((r) => r[i + 1].heapUsedBytes - r[i].heapUsedBytes)),
    importMs: median(reports.map((r) => r[i + 1].importMs)),
  }));
  const lastGrammy = Math.max(...first.map((step, i) => (step.module === "grammy" || step.module.startsWith("@grammyjs/") ? i : 0)));
  return {
    nodeRssBytes: median(reports.map((r) => r[0].rssBytes)),
    grammyRssBytes: median(reports.map((r) => r[lastGrammy].rssBytes)),
    allRssBytes: median(reports.map((r) => r[r.length - 1].rssBytes)),
    allImportMs: median(reports.map((r) => r.slice(1).reduce((sum, step) => sum + step.importMs, 0))),
    costs,
  };
}
