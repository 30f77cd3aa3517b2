/**
 * The benchmark's output: the table (stdout, bench/results.md and the README's Benchmarks section)
 * and bench/results.json, with the machine and the date, each figure next to its target.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";

/** One line of the table. */
export interface TableRow {
  figure: string;
  /** What gaia measured. */
  gaia: string;
  /** What the baseline measured, or "" when the figure has none. */
  baseline: string;
  /** The compared value (ratio, bound...). */
  compared: string;
  target: string;
  /** pass / miss, or "n/a" for figures without a target. */
  verdict: "pass" | "miss" | "n/a";
}

/** Where and when the run happened. */
export interface Machine {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
}

/** Renders the rows as a Markdown table (readable as plain text on a terminal too). */
export function markdownTable(rows: readonly TableRow[]): string {
  const header: TableRow = { figure: "Figure", gaia: "Gaia", baseline: "Baseline", compared: "Compared", target: "Target", verdict: "n/a" };
  const cells = (row: TableRow, isHeader = false) => [row.figure, row.gaia, row.baseline, row.compared, row.target, isHeader ? "Result" : row.verdict.toUpperCase()];
  const all = [cells(header, true), ...rows.map((row) => cells(row))];
  const widths = all[0].map((_, column) => Math.max(...all.map((line) => line[column].length)));
  const line = (values: string[]) => `| ${values.map((value, i) => value.padEnd(widths[i])).join(" | ")} |`;
  return [line(all[0]), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...all.slice(1).map(line)].join("\n");
}

/** The Markdown section: machine line, table, notes. */
export function markdownSection(machine: Machine, rows: readonly TableRow[], notes: readonly string[], runSeconds: number): string {
  return [
    `Measured by \`npm run bench\` on ${machine.date.slice(0, 10)}: ${machine.cpuModel}, ${machine.cores} cores, ` +
      `${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Linux ${machine.kernel}, Node ${machine.node}; the whole run took ${Math.round(runSeconds)} s.`,
    "",
    markdownTable(rows),
    "",
    ...notes.map((note) => `- ${note}`),
  ].join("\n");
}

const BEGIN = "<!-- bench:begin (written by npm run bench) -->";
const END = "<!-- bench:end -->";

/**
 * Replaces the generated part of the README's Benchmarks section, between its two markers.
 * Returns false (and leaves the file alone) when the README has no markers.
 */
export function updateReadme(readmePath: string, section: string): boolean {
  let text: string;
  try {
    text = readFileSync(readmePath, "utf8");
  } catch {
    return false;
  }
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) return false;
  writeAtomically(readmePath, `${text.slice(0, begin + BEGIN.length)}\n${section}\n${text.slice(end)}`);
  return true;
}

/** Writes a file through a temporary name, so an interrupted run never leaves half a file. */
export function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Formats bytes as MB (10^6, as `ps` and most dashboards show them). */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Formats a ratio. */
export function times(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}
