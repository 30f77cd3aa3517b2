import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { describeProblems, validateApprovalInput } from "../../approvals/approval-input.js";
import { readApiToken } from "../../api/api-token.js";
import { MAX_WAIT_SECONDS, type ApprovalView } from "../../approvals/approval-view.js";
import { parseDuration } from "../../config/durations.js";
import { loadConfig } from "../../config/load-config.js";
import type { Config } from "../../config/types.js";
import { EXIT } from "../exit-codes.js";
import { writeLine, type CliIo } from "../io.js";
import { withConfigErrors } from "../report-config-error.js";

const USAGE = `Usage: gaia approve TITLE [--details TEXT] [--timeout DURATION] [--requester NAME]

Asks the admins in Telegram to approve TITLE and waits for the answer.
Exit codes: 0 approved, 1 denied, 3 expired, 4 no monitor running, 2 usage or configuration.
Example: gaia approve "Push to main" --timeout 10m && git push`;

/** After losing the monitor, keep trying this long past the request's expiry before giving up. */
const RECONNECT_GRACE_MS = 2 * 60_000;
const RECONNECT_EVERY_MS = 500;
/** A long poll's answer may take `wait` seconds; allow for a slow host on top. */
const POLL_SLACK_MS = 15_000;

/** Test seams: how long to keep retrying after losing the monitor. */
export interface ApproveTimings {
  reconnectGraceMs?: number;
}

/**
 * `gaia approve TITLE [--details TEXT] [--timeout 10m] [--requester NAME]`: creates a request
 * through the local API and long-polls for the decision. Exit 0 approved, 1 denied, 3 expired,
 * 4 no monitor, 2 usage. Once the request exists it keeps waiting across a restart of the monitor.
 */
export async function approveCommand(io: CliIo, timings: ApproveTimings = {}): Promise<number> {
  const args = parseApproveArgs(io);
  if (typeof args === "number") return args;
  try {
    return await askAndWait(io, args, timings);
  } catch (error) {
    // Exit 1 means "denied" here: an unexpected failure must not read as a human's answer.
    writeLine(io.stderr, `gaia approve failed: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.noMonitor;
  }
}

async function askAndWait(io: CliIo, args: ApproveBody, timings: ApproveTimings): Promise<number> {
  return withConfigErrors(io.stderr, async () => {
    // Without gaia.yml the monitor runs in console mode on the default api.listen: ask it there.
    const config = loadConfig({ processEnv: io.processEnv, cwd: io.cwd, allowMissingSettings: true });
    const api = localApiOf(config);
    const token = readApiToken(config);
    if (!token) {
      writeLine(io.stderr, `gaia approve: no monitor has run on ${config.paths.home} yet (no API token); start it with \`gaia start\``);
      return EXIT.noMonitor;
    }
    const client = new LocalApi(api.baseUrl, token.reveal());

    let created: Response;
    try {
      created = await client.request("POST", "/v1/approvals", args);
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      writeLine(io.stderr, `gaia approve: no monitor is running (nothing answers on ${api.display}); start it with \`gaia start\``);
      return EXIT.noMonitor;
    }
    if (created.status !== 201) return refused(io, created, "could not create the request");
    const { id, expiresAt } = (await created.json()) as { id: string; expiresAt: string };
    writeLine(io.stderr, `Waiting for a decision on "${args.title}" in Telegram (request ${id}, expires ${expiresAt})…`);

    let lostSince: number | undefined;
    for (;;) {
      let answer: Response;
      try {
        answer = await client.request("GET", `/v1/approvals/${encodeURIComponent(id)}?wait=${MAX_WAIT_SECONDS}`, undefined, MAX_WAIT_SECONDS * 1000 + POLL_SLACK_MS);
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        const giveUpAt = Date.parse(expiresAt) + (timings.reconnectGraceMs ?? RECONNECT_GRACE_MS);
        if (lostSince === undefined) {
          lostSince = Date.now();
          writeLine(io.stderr, `Lost the monitor at ${api.display}; waiting for it to come back (the request stays pending)…`);
        }
        if (Date.now() >= giveUpAt) {
          writeLine(io.stderr, `gaia approve: the monitor did not come back; request ${id} may still be pending`);
          return EXIT.noMonitor;
        }
        await sleep(RECONNECT_EVERY_MS);
        continue;
      }
      if (lostSince !== undefined) {
        writeLine(io.stderr, "The monitor is back; still waiting…");
        lostSince = undefined;
      }
      if (answer.status === 404) {
        writeLine(io.stderr, `gaia approve: the monitor does not know request ${id} (was gaia.db replaced?)`);
        return EXIT.noMonitor;
      }
      if (answer.status >= 500) {
        // The monitor is stopping or in trouble: ask again in a moment, like a lost connection.
        await sleep(RECONNECT_EVERY_MS);
        continue;
      }
      if (answer.status !== 200) return refused(io, answer, "could not read the request");
      const view = (await answer.json()) as ApprovalView;
      switch (view.status) {
        case "approved":
          writeLine(io.stdout, `Approved by ${view.decidedBy ?? "an admin"} at ${view.decidedAt ?? "?"}`);
          return EXIT.ok;
        case "denied":
          writeLine(io.stdout, `Denied by ${view.decidedBy ?? "an admin"} at ${view.decidedAt ?? "?"}`);
          return EXIT.denied;
        case "expired":
          writeLine(io.stdout, `Expired at ${view.expiresAt} without a decision`);
          return EXIT.expired;
        default:
          continue; // still pending: poll again
      }
    }
  });
}

/** The validated request body, or an exit code after printing the usage problem. */
type ApproveBody = { title: string; details?: string; requester?: string; timeout?: number };

function parseApproveArgs(io: CliIo): ApproveBody | number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...io.argv],
      options: {
        details: { type: "string" },
        timeout: { type: "string" },
        requester: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    return usage(io, positionals.length === 0 ? "give the TITLE to approve" : `give one TITLE (quote it): got ${positionals.length} words`);
  }
  let timeout: number | undefined;
  if (values.timeout !== undefined) {
    const ms = parseDuration(values.timeout);
    if (ms === undefined || ms <= 0) return usage(io, `--timeout: "${values.timeout}" is not a duration such as 90s, 10m or 1h`);
    timeout = Math.ceil(ms / 1000);
  }
  const body = {
    title: positionals[0],
    ...(values.details !== undefined ? { details: values.details } : {}),
    requester: values.requester ?? defaultRequester(),
    ...(timeout !== undefined ? { timeout } : {}),
  };
  const checked = validateApprovalInput(body);
  if (!checked.ok) return usage(io, describeProblems(checked.problems).replace(/\btimeout:/, "--timeout:"));
  return body;
}

function usage(io: CliIo, problem: string): number {
  writeLine(io.stderr, `gaia approve: ${problem}\n\n${USAGE}`);
  return EXIT.usage;
}

/** The local user's name: who asks, when `--requester` does not say. */
function defaultRequester(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined; // no passwd entry (some containers)
  }
}

async function refused(io: CliIo, response: Response, what: string): Promise<number> {
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  const reason = body.error ?? `HTTP ${response.status}`;
  if (response.status === 401) {
    writeLine(io.stderr, `gaia approve: the monitor refused the API token (${reason}); GAIA_API_TOKEN must match the running monitor's`);
    return EXIT.badConfig;
  }
  writeLine(io.stderr, `gaia approve: ${what}: ${reason}`);
  return response.status === 422 || response.status === 413 || response.status === 400 ? EXIT.usage : EXIT.noMonitor;
}

/** Where the local API listens, as a URL to call (a wildcard address is reached on loopback). */
function localApiOf(config: Config): { baseUrl: string; display: string } {
  const { host, port } = config.settings.api;
  const reachable = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const hostPart = reachable.includes(":") ? `[${reachable}]` : reachable;
  return { baseUrl: `http://${hostPart}:${port}`, display: `${hostPart}:${port}` };
}

/** A tiny client of the local API with the bearer token. */
class LocalApi {
  constructor(private readonly baseUrl: string, private readonly token: string) {}

  request(method: "GET" | "POST", path: string, body?: unknown, timeoutMs = 30_000): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }
}

/** True for failures to reach the monitor at all (refused, reset, timed out), as opposed to its answers. */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "TimeoutError" || error.name === "AbortError") return true;
  // Node's fetch reports network failures as TypeError("fetch failed") with the socket error as cause.
  return error instanceof TypeError && error.message === "fetch failed";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
