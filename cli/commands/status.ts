import { parseArgs } from "node:util";
import { readApiToken } from "../../api/api-token.js";
import { renderStatus } from "../../bot/render/status.js";
import { loadConfig } from "../../config/load-config.js";
import type { StatusReport } from "../../queries/status-report.js";
import { EXIT } from "../exit-codes.js";
import { writeLine, type CliIo } from "../io.js";
import { withConfigErrors } from "../report-config-error.js";
import { htmlToTerminal } from "../terminal-text.js";

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * `gaia status [--json]`: the running monitor's status, read from its local API
 * (`GET /v1/status`) and printed like /status, or as the JSON itself. Exit 4 when no monitor runs.
 */
export async function statusCommand(io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...io.argv], options: { json: { type: "boolean" } }, strict: true });
  return withConfigErrors(io.stderr, async () => {
    // A monitor in console mode may run without gaia.yml; its API listens on the default address.
    const config = loadConfig({ processEnv: io.processEnv, cwd: io.cwd, allowMissingSettings: true });
    const { host, port } = config.settings.api;
    const address = `${connectHost(host)}:${port}`;
    const token = readApiToken(config);
    if (!token) {
      writeLine(io.stderr, `gaia is not running in ${config.paths.home}: it has never started there (no .private/api-token yet).`);
      return EXIT.noMonitor;
    }
    let response: Response;
    try {
      response = await fetch(`http://${address}/v1/status`, {
        headers: { authorization: `Bearer ${token.reveal()}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code === "ECONNREFUSED" || code === "ECONNRESET") {
        writeLine(io.stderr, `gaia is not running in ${config.paths.home}: nothing answers on ${address} (api.listen).`);
        return EXIT.noMonitor;
      }
      writeLine(io.stderr, `gaia status: cannot reach the monitor on ${address}: ${(error as Error).message}`);
      return EXIT.failure;
    }
    if (response.status === 401) {
      writeLine(io.stderr, `gaia status: the monitor on ${address} refused the API token; is GAIA_API_TOKEN the same as the monitor's?`);
      return EXIT.failure;
    }
    if (!response.ok) {
      writeLine(io.stderr, `gaia status: ${address} answered ${response.status}; is it gaia's local API?`);
      return EXIT.failure;
    }
    const report = (await response.json()) as StatusReport;
    if (values.json) {
      writeLine(io.stdout, JSON.stringify(report, null, 2));
    } else {
      const colours = Boolean(io.stdout.isTTY) && !io.processEnv.NO_COLOR;
      const { text } = renderStatus(report, { perPage: Infinity, limit: Infinity, buttons: false });
      writeLine(io.stdout, htmlToTerminal(text, colours));
    }
    return EXIT.ok;
  });
}

/** Where to connect for a listen address: a wildcard address is reached through loopback. */
function connectHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
