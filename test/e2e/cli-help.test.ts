import { afterEach, describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { runGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

describe("gaia COMMAND --help", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  for (const command of ["start", "check", "migrate", "approve", "status", "run"]) {
    it(`gaia ${command} --help prints its usage on stdout, exits 0 and leaves an empty folder empty`, async () => {
      const home = makeTempHome();
      cleanups.push(() => home.cleanup());
      for (const flag of ["--help", "-h"]) {
        const result = await runGaia([command, flag], { home: home.home });
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(`Usage: gaia ${command}`);
        expect(result.stderr).toBe("");
      }
      // Nothing else happened: no gaia.db (migrate), no .tmp/ (start), no api-token.
      expect(readdirSync(home.home)).toEqual([]);
    });
  }

  it("gaia run TASK -- COMMAND --help passes --help to the job instead of answering it", async () => {
    const home = makeTempHome();
    cleanups.push(() => home.cleanup());
    home.writeConfig("telegram:\n  admins: [1]\ntasks:\n  - name: job\n");
    const result = await runGaia(["run", "job", "--", "sh", "-c", 'echo "job args: $*"', "sh", "--help"], { home: home.home });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("job args: --help");
  });
});
