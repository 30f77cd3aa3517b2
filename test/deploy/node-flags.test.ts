import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SHIPPED_NODE_FLAGS } from "../../bench/lib/shipped-node-flags.js";

const REPO = resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(join(REPO, file), "utf8");

/** The flags between `node` and the script in a command line. */
function flagsBefore(script: string, words: readonly string[]): string[] {
  const at = words.findIndex((word) => word.endsWith(script));
  expect(at, `${script} in ${words.join(" ")}`).toBeGreaterThan(0);
  expect(words[0]).toMatch(/(^|\/)node$/);
  return words.slice(1, at);
}

describe("the node flags gaia is deployed with", () => {
  it("are the same in the systemd unit, the image's entrypoint and npm start as in the benchmark that measured them", () => {
    const execStart = /^ExecStart=(.*)$/m.exec(read("deploy/gaia.service"))![1].split(/\s+/);
    expect(flagsBefore("dist/cli/gaia.js", execStart)).toEqual(SHIPPED_NODE_FLAGS);

    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(read("Dockerfile"))![1]) as string[];
    expect(flagsBefore("dist/cli/gaia.js", entrypoint)).toEqual(SHIPPED_NODE_FLAGS);

    const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
    expect(flagsBefore("dist/cli/gaia.js", pkg.scripts.start.split(/\s+/))).toEqual(SHIPPED_NODE_FLAGS);
  });
});
