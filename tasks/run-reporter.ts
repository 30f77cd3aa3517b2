import { request } from "node:http";
import type { RunEndReport, RunStartReport } from "./run-report.js";
import { spoolRunReport, type SpooledRun } from "./run-spool.js";

export interface RunReporterOptions {
  /** The monitor's local API (`api.listen`); a wildcard address is reached on loopback. */
  host: string;
  port: number;
  /** The API token; without one no monitor has ever started here, and reports go to the spool. */
  token?: string;
  spoolDir: string;
  /** How long one request may take before the monitor counts as unreachable. */
  timeoutMs?: number;
}

/** What became of a report. */
export type ReportOutcome =
  | { kind: "sent" }
  /** Kept under `.tmp/spool/` for the monitor to take when it runs; `reason` says why it was not sent. */
  | { kind: "spooled"; file: string; reason: string }
  /** The monitor refused it for good (422), or it could not be kept; `reason` says why. */
  | { kind: "lost"; reason: string };

/**
 * Sends the start and end of a run to the monitor (`POST /v1/runs`). It never throws and never
 * stops the job: a monitor that is down, slow or refusing the token only means the end report
 * waits in the spool, which the monitor reads on start and periodically. Runs carry an id made
 * here, so a report delivered twice (a timeout after the monitor took it, then the spool) counts once.
 */
export class RunReporter {
  constructor(private readonly options: RunReporterOptions) {}

  /** Reports a run's start; only a hint for `/status` ("running"), so it is never spooled. */
  async start(report: RunStartReport & { runId: string }): Promise<ReportOutcome> {
    const result = await this.post(report);
    return result.ok ? { kind: "sent" } : { kind: "lost", reason: result.reason };
  }

  /** Reports a run's end, or spools it when the monitor cannot take it now. */
  async end(report: SpooledRun): Promise<ReportOutcome> {
    const result = await this.post(report);
    if (result.ok) return { kind: "sent" };
    if (result.status === 422 || result.status === 400) return { kind: "lost", reason: result.reason };
    try {
      return { kind: "spooled", file: spoolRunReport(this.options.spoolDir, report), reason: result.reason };
    } catch (error) {
      return { kind: "lost", reason: `${result.reason}, and it could not be kept in ${this.options.spoolDir}: ${(error as Error).message}` };
    }
  }

  private post(body: RunStartReport | RunEndReport): Promise<{ ok: true } | { ok: false; status?: number; reason: string }> {
    const token = this.options.token;
    if (!token) return Promise.resolve({ ok: false, reason: "no API token yet (the monitor has not been started here)" });
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve) => {
      const req = request(
        {
          host: loopbackFor(this.options.host),
          port: this.options.port,
          method: "POST",
          path: "/v1/runs",
          headers: { "content-type": "application/json", "content-length": payload.length, authorization: `Bearer ${token}` },
          timeout: this.options.timeoutMs ?? 3_000,
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve({ ok: true });
            resolve({ ok: false, status, reason: `the monitor answered ${status}${errorOf(text)}` });
          });
          res.on("error", (error) => resolve({ ok: false, reason: `the monitor's answer broke off: ${error.message}` }));
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.options.timeoutMs ?? 3_000} ms`)));
      req.on("error", (error: NodeJS.ErrnoException) =>
        resolve({ ok: false, reason: error.code === "ECONNREFUSED" ? "no monitor is running" : `the monitor is unreachable: ${error.message}` }),
      );
      req.end(payload);
    });
  }
}

/** 0.0.0.0 and :: are not addresses to connect to; the monitor listens on every interface, loopback included. */
export function loopbackFor(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host.replace(/^\[(.*)\]$/, "$1");
}

function errorOf(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    return typeof error === "string" ? `: ${error}` : "";
  } catch {
    return "";
  }
}
