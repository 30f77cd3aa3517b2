#!/usr/bin/env node
/**
 * The container's HEALTHCHECK: asks the running monitor's `GET /healthz` at the address of
 * `api.listen` in `$GAIA_HOME/gaia.yml` (so a changed port needs no Dockerfile edit) and exits 0
 * when it answers 200, 1 otherwise (503 unhealthy, no answer, or an unreadable gaia.yml).
 * Unhealthy means gaia.db fails or the jobs are stuck (api/health-routes.ts), never a Telegram outage.
 */
import { request } from "node:http";
import { loadSettings } from "../config/load-settings.js";
import { gaiaPaths, resolveHome } from "../config/paths.js";
import { loopbackFor } from "../tasks/run-reporter.js";

const TIMEOUT_MS = 4000;

function healthz(host: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: loopbackFor(host), port, path: "/healthz", timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

try {
  const paths = gaiaPaths(resolveHome(process.env, process.cwd()));
  const { api } = loadSettings(paths.configFile, paths.home, { allowMissing: true }).settings;
  const status = await healthz(api.host, api.port);
  if (status !== 200) console.error(status ? `/healthz answered ${status}` : `no answer from ${api.host}:${api.port}`);
  process.exit(status === 200 ? 0 : 1);
} catch (error) {
  console.error(`healthcheck: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
