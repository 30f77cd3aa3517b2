import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { freePort, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const REPO = resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(join(REPO, file), "utf8");
const HEALTHCHECK = join(REPO, "dist", "cli", "container-healthcheck.js");
/** Assembled at run time, like test/helpers/fake-tokens.ts, so the secret scan stays quiet. */
const FAKE_TELEGRAM_TOKEN = "123456789:" + "AAFake".repeat(6);

describe("the container image (Dockerfile, .dockerignore, compose.yaml)", () => {
  const defer = deferCleanups();

  it("runs as a user of its own, from a base image pinned by version, with production dependencies only", () => {
    const dockerfile = read("Dockerfile");
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:\d+\.\d+\.\d+-bookworm-slim$/m);
    const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    // The last USER before the entrypoint is not root.
    const users = [...final.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe("gaia");
    expect(final.indexOf("USER gaia")).toBeLessThan(final.indexOf("ENTRYPOINT"));
    expect(dockerfile).toContain("npm prune --omit=dev");
    expect(final).toMatch(/HEALTHCHECK[^\n]*\\\n\s+CMD \["node", "\/app\/dist\/cli\/container-healthcheck\.js"\]/);
  });

  it("passes dockerfile-utils' lint without a finding (also a step of .ci/run)", () => {
    const result = spawnSync(join(REPO, "node_modules", ".bin", "dockerfile-utils"), ["lint", "Dockerfile"], { cwd: REPO, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("sends no secrets, databases or local builds to the build context", () => {
    const ignored = read(".dockerignore").split("\n").map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining([".private/", "gaia.db", "gaia.db-*", "gaia.yml", ".tmp/", "node_modules/", "dist/", ".git/"]));
  });

  it("compose.yaml shares the host's process table, keeps the home folder, restarts unless stopped and checks health", () => {
    const compose = parse(read("compose.yaml")) as { services: Record<string, Record<string, unknown>> };
    const gaia = compose.services.gaia;
    expect(gaia).toMatchObject({ pid: "host", restart: "unless-stopped", volumes: ["/srv/gaia:/home/gaia"] });
    expect(gaia.healthcheck).toMatchObject({ test: ["CMD", "node", "/app/dist/cli/container-healthcheck.js"] });
  });

  it("the healthcheck asks /healthz at api.listen of gaia.yml: 0 while gaia runs, 1 once it stopped", async () => {
    const tg = await FakeTelegram.start({ token: FAKE_TELEGRAM_TOKEN });
    defer(() => tg.stop());
    const home = makeTempHome("gaia-health-");
    defer(() => home.cleanup());
    const port = await freePort();
    home.writeConfig(`telegram:\n  admins: [4242]\napi:\n  listen: 127.0.0.1:${port}\n`);
    home.writeEnv({ TELEGRAM_BOT_TOKEN: FAKE_TELEGRAM_TOKEN, TELEGRAM_API_ROOT: tg.apiRoot });
    const healthcheck = () =>
      spawnSync(process.execPath, [HEALTHCHECK], { cwd: "/", env: { PATH: process.env.PATH, GAIA_HOME: home.home }, encoding: "utf8", timeout: 30_000 });

    const gaia = startGaia(["start"], { home: home.home });
    defer(() => gaia.stop("SIGKILL"));
    await gaia.waitForOutput('"msg":"gaia started"', 30_000);
    // The first heartbeat is written at start; poll in case the machine is slow.
    let result = healthcheck();
    for (let i = 0; i < 20 && result.status !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      result = healthcheck();
    }
    expect(result.status, result.stderr).toBe(0);

    // While it runs: /metrics as Prometheus 2.42's promtool reads it (when promtool is installed).
    if (spawnSync("promtool", ["--version"]).status === 0) {
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      const lint = spawnSync("promtool", ["check", "metrics"], { input: metrics, encoding: "utf8" });
      expect(lint.stdout + lint.stderr).toBe("");
      expect(metrics).toMatch(/^gaia_build_info\{/m);
    }

    expect(await gaia.stop()).toBe(0);
    result = healthcheck();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`no answer from 127.0.0.1:${port}`);
  });
});
