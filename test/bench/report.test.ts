import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { median } from "../../bench/lib/numbers.js";
import { markdownTable, updateReadme } from "../../bench/report.js";

const dir = mkdtempSync(join(tmpdir(), "gaia-bench-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the benchmark's report", () => {
  it("rewrites only the README's generated section, between its markers, run after run", () => {
    const readme = join(dir, "README.md");
    const before = "# Gaia\n\n## Benchmarks\n\nIntro.\n\n<!-- bench:begin (written by npm run bench) -->\n(no run yet)\n<!-- bench:end -->\n\n## After\n";
    writeFileSync(readme, before);
    expect(updateReadme(readme, "| table 1 |")).toBe(true);
    expect(updateReadme(readme, "| table 2 |")).toBe(true);
    expect(readFileSync(readme, "utf8")).toBe(before.replace("(no run yet)", "| table 2 |"));
  });

  it("leaves a README without markers alone", () => {
    const readme = join(dir, "no-markers.md");
    writeFileSync(readme, "# Gaia\n");
    expect(updateReadme(readme, "| table |")).toBe(false);
    expect(readFileSync(readme, "utf8")).toBe("# Gaia\n");
    expect(updateReadme(join(dir, "missing.md"), "| table |")).toBe(false);
  });

  it("prints every row with aligned columns and an upper-case verdict", () => {
    const table = markdownTable([
      { figure: "Idle CPU", gaia: "0.5%", baseline: "0.1%", compared: "", target: "≤ 1%", verdict: "pass" },
      { figure: "Start-up", gaia: "650 ms", baseline: "110 ms", compared: "5.9×", target: "≤ 2×", verdict: "miss" },
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
    expect(lines[2]).toContain("PASS");
    expect(lines[3]).toContain("MISS");
  });

  it("takes the median of odd and even counts, and refuses an empty list", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});
