/**
 * The words of an alert's facts (`AlertFact`, stored in the outbox as data): one plain-text line
 * or more per fact, escaped by the caller. Outbox rows written before facts existed carry their
 * lines ready-made in `details`; those are shown as they are.
 */
import type { AlertFact, AlertPayload, AlertProcess } from "../../alerts/alert.js";
import type { ServiceMatch } from "../../config/types.js";
import { formatBytes } from "./figures.js";
import { containerState, endpointProblem, unitState } from "./status.js";

/** "Also down" names at most this many services; /status lists them all. */
const ALSO_DOWN_NAMES = 5;
/** Command lines in alerts are cut here: enough to tell two `node` processes apart. */
const COMMAND_LINE_CHARS = 80;

/** The lines below an alert's headline, in plain text. */
export function alertDetailLines(payload: Pick<AlertPayload, "facts" | "details">): string[] {
  return [...(payload.facts ?? []).flatMap(factLines), ...(payload.details ?? [])];
}

/** One fact in words. */
export function factLines(fact: AlertFact): string[] {
  switch (fact.kind) {
    case "watchedBy":
      return [`Watched by: ${describeMatch(fact.match)}`];
    case "alsoDown":
      return [
        fact.services.length > ALSO_DOWN_NAMES
          ? `Also down: ${fact.services.slice(0, ALSO_DOWN_NAMES).join(", ")} and ${fact.services.length - ALSO_DOWN_NAMES} more (see /status)`
          : `Also down: ${fact.services.join(", ")}`,
      ];
    case "runningAgain":
      return [`Running again: ${plural(fact.processCount, "process", "processes")}, pid ${fact.pids.join(", ")}`];
    case "topProcesses":
      return [`Top processes by ${fact.by === "cpu" ? "CPU" : "memory"}:`, ...fact.processes.map((p, i) => `${i + 1}. ${describeProcess(p, fact.by)}`)];
    case "summedOver":
      return [`Summed over ${fact.processCount} processes`];
    case "flapping":
      return [
        `${fact.changes ?? "Several"} down/up changes in a short time; single down/up alerts pause until it settles.`,
        ...(fact.up === undefined ? [] : [`It is ${fact.up ? "up" : "down"} now.`]),
      ];
    case "container":
      return [`Container: ${containerState({ state: fact.state, exitCode: fact.exitCode ?? null, health: fact.health ?? null, restartCount: fact.restartCount, problem: fact.problem ?? null, timeoutMs: fact.timeoutMs ?? null })}`];
    case "endpoint":
      return [`Why: ${endpointProblem({ problem: fact.problem ?? null, statusCode: fact.statusCode ?? null, timeoutMs: fact.timeoutMs ?? null })}`];
    case "unit":
      return [`Unit: ${unitState(fact)}`];
    case "settled":
      return [`It is ${fact.up ? "up" : "down"} now.`];
  }
}

/** How a service is found, in words: "process node with “agent.js” in its command line". */
export function describeMatch(match: ServiceMatch): string {
  switch (match.kind) {
    case "process":
      return match.args ? `process ${match.process} with “${match.args}” in its command line` : `process ${match.process}`;
    case "pidfile":
      return `pidfile ${match.pidfile}`;
    case "port":
      return `whatever listens on TCP port ${match.port}`;
    case "http":
      return `an answer from ${match.http.replace(/\/\/[^@/]*@/, "//…@")}${match.status !== undefined ? ` with status ${match.status}` : ""}${match.contains !== undefined ? ` containing “${match.contains}”` : ""}`;
    case "tcp":
      return `a TCP connection to ${match.tcp}`;
    case "container":
      return `Docker container ${match.container}`;
    case "unit":
      return `systemd unit ${match.unit}`;
  }
}

function describeProcess(process: AlertProcess, by: "cpu" | "memory"): string {
  const shown = process.command.length > COMMAND_LINE_CHARS ? `${process.command.slice(0, COMMAND_LINE_CHARS - 1)}…` : process.command;
  const figure = by === "cpu" ? `${Math.round(process.cpuPercent)}% of one core` : formatBytes(process.memoryBytes);
  return `${shown} (pid ${process.pid}): ${figure}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
