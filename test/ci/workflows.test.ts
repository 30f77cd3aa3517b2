import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { deferCleanups } from "../helpers/cleanups.js";

const REPO = resolve(import.meta.dirname, "../..");
const CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683";

/** A workflow that passes every rule; each case below breaks one. */
const GOOD = `name: scan
on: pull_request
permissions:
  contents: read
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: ${CHECKOUT} # v4.2.2
      - run: npm run scan:secrets
        env:
          TOKEN: \${{ secrets.TOKEN }}
`;

describe("the workflow check in .ci/run (actionlint and gaia's rules on secret access)", () => {
  const defer = deferCleanups();

  function check(text: string) {
    const dir = mkdtempSync(join(tmpdir(), "gaia-wf-"));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "pr.yml");
    writeFileSync(file, text);
    return spawnSync(process.execPath, [join(REPO, ".ci", "check-workflows.mjs"), file], { cwd: REPO, encoding: "utf8" });
  }

  it("passes the repository's own workflows", () => {
    const result = spawnSync(process.execPath, [join(REPO, ".ci", "check-workflows.mjs")], { cwd: REPO, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(join(REPO, ".github", "workflows"))).toEqual(expect.arrayContaining(["ci.yml", "secrets.yml"]));
  });

  it("passes a workflow that reads a secret through env:", () => {
    const result = check(GOOD);
    expect(result.status, result.stderr).toBe(0);
  });

  it.each([
    ["has no permissions: block", GOOD.replace("permissions:\n  contents: read\n", ""), /no permissions: block/],
    ["echoes a secret in run:", GOOD.replace("run: npm run scan:secrets", 'run: echo "${{ secrets.TOKEN }}"'), /secrets\.\* \}\} in the script/],
    ["checks out the pull request's code under pull_request_target", GOOD.replace("on: pull_request", "on: pull_request_target").replace(`${CHECKOUT} # v4.2.2`, `${CHECKOUT}\n        with:\n          ref: \${{ github.event.pull_request.head.sha }}`), /pull_request_target checks out/],
    ["uses an action by a movable tag", GOOD.replace(CHECKOUT, "actions/checkout@v4"), /not pinned to a commit SHA/],
    ["has a typo actionlint knows", GOOD.replace("runs-on:", "runs_on:"), /actionlint/],
  ])("fails a workflow that %s", (_what, text, problem) => {
    const result = check(text);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(problem);
  });
});
