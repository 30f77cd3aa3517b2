import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { deferCleanups } from "../helpers/cleanups.js";

const REPO = resolve(import.meta.dirname, "../..");
const SECRETLINT = join(REPO, "node_modules", ".bin", "secretlint");

/** Letters for fakes, picked deterministically: token-shaped, never a real token. */
const letters = (n: number, seed = 3) => Array.from({ length: n }, (_, i) => "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC"[(i * 7 + seed) % 32]).join("");

// Assembled at run time (see test/helpers/fake-tokens.ts): the source holds no token-shaped string.
const LEAKS: [string, string][] = [
  ["a classic personal access token (ghp_)", "ghp_" + letters(36)],
  ["a fine-grained personal access token (github_pat_)", "github_pat_" + letters(22) + "_" + letters(59, 5)],
  ["an installation token, short form (ghs_)", "ghs_" + letters(36, 7)],
  ["an installation token, long form (ghs_<app id>_<JWT>)", "ghs_1234567_" + "eyJ" + letters(33) + ".eyJ" + letters(41, 9) + "." + letters(43, 11)],
  ["a Telegram bot token", "123456789:" + "AA" + letters(33, 13)],
];

describe("the secret scan (npm run scan:secrets, and the secrets workflow on every pull request)", () => {
  const defer = deferCleanups();

  /** secretlint with the repository's .secretlintrc.json over one planted file, as CI runs it. */
  function scan(fileText: string) {
    const dir = mkdtempSync(join(tmpdir(), "gaia-leak-"));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "deploy.env"), fileText);
    return spawnSync(SECRETLINT, ["--secretlintrc", join(REPO, ".secretlintrc.json"), "--format", "json", "**/*"], { cwd: dir, encoding: "utf8" });
  }

  it.each(LEAKS)("fails on %s planted in a file", (_name, token) => {
    const result = scan(`# notes\nTOKEN=${token}\n`);
    expect(result.status, result.stderr).toBe(1);
    const [report] = JSON.parse(result.stdout) as { filePath: string; messages: { loc: { start: { line: number } } }[] }[];
    expect(report.filePath).toMatch(/deploy\.env$/);
    expect(report.messages.map((m) => m.loc.start.line)).toEqual([2]);
    // secretlint masks what it found: its findings never repeat the token.
    expect(JSON.stringify(report.messages)).not.toContain(token);
  });

  it("passes a file with look-alikes that are not tokens", () => {
    const result = scan(`bot id 123456789: see the docs\nghp_ is GitHub's prefix for personal tokens\nchat -1001234567890\n`);
    expect(result.status, result.stdout).toBe(0);
  });
});
