/**
 * What a rules transition says, as alert data: the figure and its threshold, the lines that help
 * the admin act (other services down, the busiest processes, what the service was matched by),
 * and the buttons to offer. Pure: everything comes from the arguments.
 */
import type { ServiceConfig, ServiceMatch } from "../config/types.js";
import { redactSecrets } from "../config/redact.js";
import type { MonitorState, Transition } from "../monitor/rules.js";
import type { ProcessSample, Snapshot } from "../monitor/snapshot.js";
import type { AlertFacts } from "./incident-ledger.js";

/** How many processes a host CPU or memory alert names. */
export const TOP_PROCESSES_IN_ALERT = 3;
/** Command lines in alerts are cut here: enough to tell two `node` processes apart. */
const COMMAND_LINE_CHARS = 80;

export interface AlertContext {
  /** The snapshot of the probe that made the transition. */
  snapshot: Snapshot;
  /** The rules' state after the transition (to list the other services that are down). */
  state: MonitorState;
  /** The service's settings, for service subjects. */
  service?: ServiceConfig;
}

/** The alert for one transition of the rules. */
export function alertFromTransition(transition: Transition, context: AlertContext): AlertFacts {
  const { subject, condition, change } = transition;
  const payload: AlertFacts = {
    subjectKind: subject.kind,
    subject: subject.name,
    condition,
    change,
    at: transition.at,
    openedAt: transition.openedAt,
  };
  if (transition.durationMs !== undefined) payload.durationMs = transition.durationMs;
  const { value, threshold, unit } = transition.figures;
  if (value !== undefined && threshold !== undefined && unit !== undefined) payload.figures = { value, threshold, unit };

  const details = detailLines(transition, context);
  if (details.length > 0) payload.details = details;
  const actions = actionsFor(transition, context.service);
  if (actions.length > 0) payload.actions = actions;
  return payload;
}

function detailLines(transition: Transition, context: AlertContext): string[] {
  const { subject, condition, change } = transition;
  const lines: string[] = [];
  if (condition === "down" && change !== "resolved") {
    if (context.service) lines.push(`Watched by: ${describeMatch(context.service.match)}`);
    const others = otherServicesDown(context.state, subject.name);
    if (others.length > 0) lines.push(`Also down: ${others.join(", ")}`);
  }
  if (condition === "down" && change === "resolved") {
    const observation = context.snapshot.services.find((s) => s.name === subject.name);
    if (observation && observation.pids.length > 0) {
      lines.push(`Running again: ${plural(observation.processCount, "process", "processes")}, pid ${observation.pids.slice(0, 5).join(", ")}`);
    }
  }
  if (subject.kind === "host" && (condition === "cpu" || condition === "memory") && change !== "resolved") {
    const top = context.snapshot.topProcesses(condition, TOP_PROCESSES_IN_ALERT);
    if (top.length > 0) {
      lines.push(`Top processes by ${condition === "cpu" ? "CPU" : "memory"}:`);
      top.forEach((p, i) => lines.push(`${i + 1}. ${describeProcess(p, condition)}`));
    }
  }
  if (subject.kind === "service" && (condition === "cpu" || condition === "memory") && change !== "resolved") {
    const observation = context.snapshot.services.find((s) => s.name === subject.name);
    if (observation && observation.processCount > 1) lines.push(`Summed over ${observation.processCount} processes`);
  }
  if (condition === "flapping" && change === "opened") {
    const changes = transition.figures.changes;
    lines.push(`${changes ?? "Several"} down/up changes in a short time; single down/up alerts pause until it settles.`);
  }
  if (condition === "flapping" && change === "resolved") {
    lines.push(`It is ${transition.figures.up === false ? "down" : "up"} now.`);
  }
  return lines;
}

function actionsFor(transition: Transition, service: ServiceConfig | undefined): NonNullable<AlertFacts["actions"]> {
  if (transition.change === "resolved") return [];
  // The host has no mute of its own (only `/mute all` silences it): one tap must not mute everything.
  const actions: NonNullable<AlertFacts["actions"]> = transition.subject.kind === "host" ? ["ack"] : ["ack", "mute"];
  if (transition.condition === "down" && service?.restart) actions.push("restart");
  return actions;
}

/** The services whose down condition is open, other than `self`, in config order of the state. */
function otherServicesDown(state: MonitorState, self: string): string[] {
  const names: string[] = [];
  for (const [key, condition] of Object.entries(state.conditions)) {
    const match = /^service:([a-z0-9_-]+):down$/.exec(key);
    if (match && match[1] !== self && condition.status === "open") names.push(match[1]);
  }
  return names;
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
  }
}

function describeProcess(process: ProcessSample, by: "cpu" | "memory"): string {
  const command = redactSecrets(process.commandLine || process.name);
  const shown = command.length > COMMAND_LINE_CHARS ? `${command.slice(0, COMMAND_LINE_CHARS - 1)}…` : command;
  const figure = by === "cpu" ? `${Math.round(process.cpuPercent)}% of one core` : `${formatBytes(process.memoryBytes)}`;
  return `${shown} (pid ${process.pid}): ${figure}`;
}

/** Bytes the way people read them: 512 MB, 1.2 GB (powers of 1000, like df -H). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
