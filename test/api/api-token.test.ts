import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { readApiToken } from "../../api/api-token.js";
import { ConfigError } from "../../config/config-error.js";
import type { Config } from "../../config/types.js";
import { makeTempHome } from "../helpers/temp-home.js";

describe("the local API token file", () => {
  const homes: ReturnType<typeof makeTempHome>[] = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  it("names an .private/api-token it cannot read (here a directory) with the fix, instead of crashing", () => {
    const h = makeTempHome();
    homes.push(h);
    const apiTokenFile = join(h.home, ".private", "api-token");
    mkdirSync(apiTokenFile, { recursive: true, mode: 0o700 });
    const config = { env: {}, paths: { apiTokenFile } } as unknown as Config;
    let problems: readonly string[] = [];
    try {
      readApiToken(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([`.private/api-token: is a directory, not a file; remove ${apiTokenFile} and start gaia to make a new one`]);
  });
});
