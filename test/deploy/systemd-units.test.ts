import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { deferCleanups } from "../helpers/cleanups.js";

const REPO = resolve(import.meta.dirname, "../..");
const UNITS = ["gaia.service", "gaia-backup.service", "gaia-backup.timer"];
const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

/** The units in a temp folder, ExecStart's node made the one running this test (verify needs it to exist). */
function unitsInTempFolder(defer: (cleanup: () => unknown) => void): string {
  const dir = mkdtempSync(join(tmpdir(), "gaia-units-"));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  for (const unit of UNITS) {
    const text = readFileSync(join(REPO, "deploy", unit), "utf8");
    writeFileSync(join(dir, unit), text.replaceAll("ExecStart=/usr/bin/node ", `ExecStart=${process.execPath} `));
  }
  return dir;
}

// .ci/run installs Debian's systemd package when systemd-analyze is missing; elsewhere this skips.
describe.skipIf(!hasSystemdAnalyze)("deploy/: the systemd units", () => {
  const defer = deferCleanups();

  it("pass systemd-analyze verify without a single warning", () => {
    const dir = unitsInTempFolder(defer);
    const result = spawnSync("systemd-analyze", ["verify", ...UNITS.map((u) => `./${u}`)], { cwd: dir, encoding: "utf8" });
    expect(result.stderr + result.stdout).toBe("");
    expect(result.status).toBe(0);
  });

  it("score the exposure the deploy README states, and leave /proc whole for the probe", () => {
    const dir = unitsInTempFolder(defer);
    const result = spawnSync("systemd-analyze", ["security", "--offline=true", "./gaia.service"], { cwd: dir, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    const score = /Overall exposure level for gaia\.service: (\d+\.\d) (\w+)/.exec(result.stdout);
    expect(score).not.toBeNull();
    const readme = readFileSync(join(REPO, "deploy", "README.md"), "utf8");
    expect(readme).toContain(`rates it **${score![1]} ${score![2]}**`);
    expect(Number(score![1])).toBeLessThanOrEqual(2);

    const unit = readFileSync(join(REPO, "deploy", "gaia.service"), "utf8");
    expect(unit).not.toMatch(/^(ProtectProc|ProcSubset)=/m);
    expect(unit).toMatch(/^User=gaia$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
  });
});
