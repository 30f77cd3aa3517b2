/**
 * What a rules transition says, as alert data: the figure and its threshold, the facts that help
 * the admin act (other services down, the busiest processes, what the service was matched by),
 * and the buttons to offer. Facts, never sentences: `bot/render/` words them. Pure: everything
 * comes from the arguments.
 */
import type { AlertFact, AlertProcess } from "../alerts/alert.js";
import type { ServiceConfig } from "../config/types.js";
import type { MonitorState, Transition } from "../monitor/rules.js";
import type { ProcessSample, Snapshot } from "../monitor/snapshot.js";
import type { AlertFacts } from "./incident-ledger.js";

/** How many processes a host CPU or memory alert names. */
export const TOP_PROCESSES_IN_ALERT = 3;

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
  if (transition.figures.mount !== undefined) payload.mount = transition.figures.mount;
  const { value, threshold, unit } = transition.figures;
  if (value !== undefined && threshold !== undefined && unit !== undefined) payload.figures = { value, threshold, unit };

  const facts = factsOf(transition, context);
  if (facts.length > 0) payload.facts = facts;
  const actions = actionsFor(transition, context.service);
  if (actions.length > 0) payload.actions = actions;
  return payload;
}

/** The entries whose value is not undefined (facts are stored as JSON: no undefined keys). */
function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function factsOf(transition: Transition, context: AlertContext): AlertFact[] {
  const { subject, condition, change } = transition;
  const facts: AlertFact[] = [];
  if (condition === "down" && change !== "resolved") {
    if (context.service) facts.push({ kind: "watchedBy", match: { ...context.service.match } });
    const observation = context.snapshot.services.find((s) => s.name === subject.name);
    if (observation?.container) facts.push({ kind: "container", ...observation.container });
    const endpoint = observation?.endpoint;
    if (endpoint && !endpoint.up) {
      const { problem, statusCode, timeoutMs } = endpoint;
      facts.push({ kind: "endpoint", ...(problem ? { problem } : {}), ...(statusCode !== undefined ? { statusCode } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    }
    const unit = observation?.unit;
    if (unit) {
      const { activeState, subState, loadState, type, result, restarts, exitStatus, signal, problem } = unit;
      facts.push({ kind: "unit", activeState, subState, restarts, ...defined({ loadState, type, result, exitStatus, signal, problem }) });
    }
    const others = otherServicesDown(context.state, subject.name);
    if (others.length > 0) facts.push({ kind: "alsoDown", services: others });
  }
  if (condition === "down" && change === "resolved") {
    const observation = context.snapshot.services.find((s) => s.name === subject.name);
    if (observation && observation.pids.length > 0) facts.push({ kind: "runningAgain", processCount: observation.processCount, pids: observation.pids.slice(0, 5) });
  }
  if (subject.kind === "host" && (condition === "cpu" || condition === "memory") && change !== "resolved") {
    const top = context.snapshot.topProcesses(condition, TOP_PROCESSES_IN_ALERT);
    if (top.length > 0) facts.push({ kind: "topProcesses", by: condition, processes: top.map(alertProcess) });
  }
  if (subject.kind === "service" && (condition === "cpu" || condition === "memory") && change !== "resolved") {
    const observation = context.snapshot.services.find((s) => s.name === subject.name);
    if (observation && observation.processCount > 1) facts.push({ kind: "summedOver", processCount: observation.processCount });
  }
  if (condition === "flapping" && change !== "resolved") {
    // Whether it is up now: a flapping notice replaces the down/up alerts that would have said so.
    const { changes, up } = transition.figures;
    facts.push({ kind: "flapping", ...(typeof changes === "number" ? { changes } : {}), ...(typeof up === "boolean" ? { up } : {}) });
  }
  if (condition === "flapping" && change === "resolved") facts.push({ kind: "settled", up: transition.figures.up !== false });
  return facts;
}

function actionsFor(transition: Transition, service: ServiceConfig | undefined): NonNullable<AlertFacts["actions"]> {
  if (transition.change === "resolved") return [];
  // The host has no mute of its own (only `/mute all` silences it): one tap must not mute everything.
  const actions: NonNullable<AlertFacts["actions"]> = transition.subject.kind === "host" ? ["ack"] : ["ack", "mute"];
  // A container restarts through the Docker API, a unit through systemd's, without a restart command.
  if (transition.condition === "down" && (service?.restart || service?.match.kind === "container" || service?.match.kind === "unit")) actions.push("restart");
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

/** A process as an alert names it; the probe has redacted its command line (`ProbeOptions.redact`). */
function alertProcess(process: ProcessSample): AlertProcess {
  return { pid: process.pid, command: process.commandLine || process.name, cpuPercent: process.cpuPercent, memoryBytes: process.memoryBytes };
}
