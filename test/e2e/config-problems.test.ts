import { afterEach, describe, expect, it } from "vitest";
import { runGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const TOKEN = ["123456789", "AAFakeFakeFakeFakeFakeFakeFakeFake123"].join(":");

describe("gaia check with a gaia.yml a careless admin or an attacker wrote", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  function home(yaml: string) {
    const h = makeTempHome();
    cleanups.push(() => h.cleanup());
    h.writeConfig(yaml);
    h.writeEnv({ TELEGRAM_BOT_TOKEN: TOKEN });
    return h.home;
  }

  it.each([
    ["an unresolved alias", "telegram:\n  admins: *nope\n", "gaia.yml:2 alias *nope names no anchor"],
    [
      "an alias bomb",
      "telegram: { admins: [1] }\na: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
      "gaia.yml:3 too many aliases",
    ],
    ["reminders more often than the probe", "telegram: { admins: [1] }\nalerts:\n  remind: 5s\n", "gaia.yml:3 alerts.remind: must be at least probe.every (15s), or 0 for never"],
    ["a probe period Node cannot time", "telegram: { admins: [1] }\nprobe:\n  every: 25d\n", "gaia.yml:3 probe.every: must be from 1s to 1h, not 25d"],
  ])("exits 2 naming the line of %s, without a stack trace", async (_story, yaml, expected) => {
    const result = await runGaia(["check", "--offline"], { home: home(yaml) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(expected);
    expect(result.stderr).not.toContain("    at ");
  });
});
