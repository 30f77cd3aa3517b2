/**
 * The alerting rules of the monitor, as one pure function: (previous state, snapshot, settings,
 * now) → (next state, transitions). No I/O, no clock, no randomness: every time comes from `now`,
 * so the same inputs always give the same outputs and the rules are tested with plain tables.
 *
 * The state is plain JSON (numbers, strings, booleans, arrays, objects) because the shell
 * persists it in gaia.db between restarts; times inside are ISO strings or epoch milliseconds.
 */
import type { GaiaConfig, ServiceConfig } from "../config/types.js";
import type { ServiceObservation, Snapshot } from "./snapshot.js";

/** What a condition watches. */
export type ConditionName = "down" | "cpu" | "memory" | "disk" | "flapping" | "certificate" | "mount";

/** Unit of a figure: % (of all cores or total memory or disk), bytes, or % of ONE core. */
export type FigureUnit = "%" | "bytes" | "%core" | "days";

/** An https endpoint whose certificate expires within this many days is alerted. */
export const CERTIFICATE_WARNING_DAYS = 14;

/** Who a condition is about. The host's name is always "host". */
export interface ConditionSubject {
  kind: "host" | "service";
  name: string;
}

/**
 * The figures behind a transition. `value`, `threshold` and `unit` come together for the resource
 * conditions (cpu, memory, disk); `down` and `flapping` have no value and say `up` instead.
 */
export interface TransitionFigures {
  value?: number;
  threshold?: number;
  unit?: FigureUnit;
  /** down and flapping: whether the service counts as up at this moment. */
  up?: boolean;
  /** flapping: how many down/up changes fall within the flapping window. */
  changes?: number;
  /** disk and mount of a listed disk (`host.disks`): its path; mount says `up` (mounted) too. */
  mount?: string;
}

/**
 * One change of one condition, for the shell to turn into an incident row and an alert.
 * `muted` and `suppressed` transitions are recorded but not sent.
 */
export interface Transition {
  /** The condition key, e.g. `service:agent:down` or `host:disk`. */
  key: string;
  subject: ConditionSubject;
  condition: ConditionName;
  change: "opened" | "resolved" | "reminder";
  /** ISO time of this evaluation. */
  at: string;
  /** ISO time the condition opened (equal to `at` for "opened"). */
  openedAt: string;
  /** resolved and reminder: how long the condition has been open. */
  durationMs?: number;
  figures: TransitionFigures;
  /** The subject (or "all") is muted: record the incident, send nothing. */
  muted: boolean;
  /** A down/recovered change of a flapping service: the flapping alert speaks for it. */
  suppressed: boolean;
}

/** A mute set with `/mute`: the subject's transitions are still recorded, but marked muted. */
export interface Mute {
  /** "all", or a service or task name. */
  subject: string;
  until: Date;
}

/** Everything the rules need to know, gathered from the config and the current mutes. */
export interface RuleSettings {
  /** Host thresholds in % and the number of consecutive probes that open or clear a condition. */
  /** `disks`: listed mount points, each with its own disk and mount conditions. */
  host: { cpu: number; memory: number; disk: number; sustain: number; disks?: readonly string[] };
  services: ServiceConfig[];
  /** Repeat an open, unacknowledged condition this often; 0 never repeats. */
  remindMs: number;
  /** A service whose down/up changes within `windowMs` reach `changes` is flapping. */
  flapping: { windowMs: number; changes: number };
  mutes: Mute[];
}

/** The flapping rule's defaults: 4 down/up changes within 10 minutes. */
export const DEFAULT_FLAPPING: Readonly<RuleSettings["flapping"]> = Object.freeze({
  windowMs: 10 * 60_000,
  changes: 4,
});

/** The remembered state of one condition. */
export interface ConditionState {
  /** ok: nothing wrong; pending: bad, but not for `sustain` probes yet; open: an incident. */
  status: "ok" | "pending" | "open";
  /** Consecutive probes at or above the threshold (down: not matching). */
  above: number;
  /** Consecutive probes below the threshold while open (down: matching). */
  below: number;
  /** ISO; set while open. */
  openedAt?: string;
  /** ISO; when the last opened or reminder fell due (sent or not); set while open. */
  lastNotifiedAt?: string;
  /** An admin acknowledged the open incident: no more reminders until it resolves. */
  acknowledged: boolean;
  /** ISO; when it was acknowledged. */
  acknowledgedAt?: string;
  /** The figures of the last probe. */
  figures?: TransitionFigures;
  /** down conditions only: epoch ms of recent opened/resolved changes, for the flapping rule. */
  changes?: number[];
}

/** Everything the rules remember between probes; persisted as JSON. */
export interface MonitorState {
  version: 1;
  /** By condition key (`host:cpu`, `service:agent:down`, …). */
  conditions: Record<string, ConditionState>;
}

/** The state of a monitor that has seen nothing yet. */
export function emptyState(): MonitorState {
  return { version: 1, conditions: {} };
}

/**
 * Turns persisted JSON back into a state: anything that is not a version-1 state (a newer or
 * damaged row) gives the empty state, and malformed conditions are left out, so a bad row costs
 * at most a few probes of memory, never a crash loop.
 */
export function restoreState(value: unknown): MonitorState {
  if (!isObject(value) || value.version !== 1 || !isObject(value.conditions)) return emptyState();
  const conditions: Record<string, ConditionState> = {};
  for (const [key, condition] of Object.entries(value.conditions)) {
    if (CONDITION_KEY.test(key) && isConditionState(condition)) conditions[key] = condition;
  }
  return { version: 1, conditions };
}

/** The shape of every key `conditionKey` makes (service names are a-z 0-9 _ -). */
const CONDITION_KEY = /^(host:[a-z]+|host:(disk|mount):\/.*|service:[a-z0-9_-]+:[a-z]+)$/;

/** The key of a listed disk's condition: `host:disk:/srv/media`, `host:mount:/srv/media`. */
export function diskConditionKey(condition: "disk" | "mount", path: string): string {
  return `host:${condition}:${path}`;
}

/** The key of a condition: `host:cpu`, `service:agent:down`. */
export function conditionKey(subject: ConditionSubject, condition: ConditionName): string {
  return subject.kind === "host" ? `host:${condition}` : `service:${subject.name}:${condition}`;
}

/** The rule settings of a config, with the current mutes and the default flapping rule. */
export function ruleSettingsFrom(config: GaiaConfig, mutes: Mute[] = []): RuleSettings {
  return {
    host: { ...config.host },
    services: config.services,
    remindMs: config.alerts.remindMs,
    flapping: { ...DEFAULT_FLAPPING },
    mutes,
  };
}

/**
 * Marks an open condition acknowledged, which stops its reminders until it resolves (a new
 * incident starts unacknowledged). Any other key (ok, unknown) leaves the state as it is.
 */
export function acknowledge(state: MonitorState, key: string, now: Date): MonitorState {
  const condition = ownCondition(state.conditions, key);
  if (condition?.status !== "open") return state;
  return {
    version: 1,
    conditions: {
      ...state.conditions,
      [key]: { ...condition, acknowledged: true, acknowledgedAt: now.toISOString() },
    },
  };
}

/**
 * One probe's worth of rules. Given the previous state and a snapshot taken at `now`, returns the
 * next state and what changed, in a stable order: host cpu, memory, disk; then each configured
 * service in config order (down, flapping, cpu, memory); then reminders. Services and thresholds
 * no longer in the settings are dropped from the state without a transition.
 */
export function evaluate(
  state: MonitorState,
  snapshot: Snapshot,
  rules: RuleSettings,
  now: Date,
): { state: MonitorState; transitions: Transition[] } {
  const run: Evaluation = {
    previous: state.conditions,
    next: {},
    transitions: [],
    suppressedKeys: new Set(),
    now,
    nowMs: now.getTime(),
    nowIso: now.toISOString(),
    rules,
    sustain: Math.max(1, Math.floor(rules.host.sustain)),
  };

  const host: ConditionSubject = { kind: "host", name: "host" };
  const { cpuPercent, memoryPercent, diskPercent } = snapshot.host;
  evaluateThreshold(run, host, "cpu", { value: cpuPercent, threshold: rules.host.cpu, unit: "%" });
  evaluateThreshold(run, host, "memory", { value: memoryPercent, threshold: rules.host.memory, unit: "%" });
  if (rules.host.disks) evaluateDisks(run, rules.host.disks, snapshot);
  else evaluateThreshold(run, host, "disk", { value: diskPercent, threshold: rules.host.disk, unit: "%" });

  for (const service of rules.services) {
    const subject: ConditionSubject = { kind: "service", name: service.name };
    const observation = snapshot.services.find((o) => o.name === service.name);
    if (observation?.unchecked) {
      // Its check has not answered yet (gaia just started): that says nothing either way, like a
      // figure the probe could not read, so every condition of the service stays where it was.
      keepServiceConditions(run, service.name);
      continue;
    }
    // A service the probe did not report was not found: it counts as down like any missing one.
    const up = observation?.up === true;
    evaluateDownAndFlapping(run, subject, up);
    for (const figures of resourceFigures(service, observation)) {
      // No threshold for a service that is not running: its probes count as below, so an open
      // cpu/memory incident clears while the down incident speaks for the service.
      evaluateThreshold(run, subject, figures.condition, figures, !up);
    }
    if (service.match.kind === "http" && service.match.http.startsWith("https:")) evaluateCertificate(run, subject, observation);
  }

  emitReminders(run);
  return { state: { version: 1, conditions: run.next }, transitions: run.transitions };
}

// ---------------------------------------------------------------------------------------------

/** The working set of one `evaluate` call. */
interface Evaluation {
  previous: Record<string, ConditionState>;
  next: Record<string, ConditionState>;
  transitions: Transition[];
  /** Open conditions whose reminders the flapping alert replaces. */
  suppressedKeys: Set<string>;
  now: Date;
  nowMs: number;
  nowIso: string;
  rules: RuleSettings;
  sustain: number;
}

interface ResourceFigures {
  condition: "cpu" | "memory";
  value: number;
  threshold: number;
  unit: FigureUnit;
}

/** The service's configured resource limits with this probe's matching figures. */
function resourceFigures(service: ServiceConfig, observation: ServiceObservation | undefined): ResourceFigures[] {
  const result: ResourceFigures[] = [];
  if (service.cpu !== undefined) {
    result.push({ condition: "cpu", value: observation?.cpuPercent ?? 0, threshold: service.cpu, unit: "%core" });
  }
  const memory = service.memory;
  if (memory?.kind === "percent") {
    result.push({ condition: "memory", value: observation?.memoryPercent ?? 0, threshold: memory.percent, unit: "%" });
  } else if (memory?.kind === "bytes") {
    result.push({ condition: "memory", value: observation?.memoryBytes ?? 0, threshold: memory.bytes, unit: "bytes" });
  }
  return result;
}

/** The outcome of one probe for one condition's counters. */
interface Step {
  condition: ConditionState;
  change?: "opened" | "resolved";
  /** For "resolved": when the incident opened. */
  openedAt?: string;
}

/**
 * The counter machine shared by every sustained condition: `bad` probes open it after `openAfter`
 * in a row, good probes clear an open one after `resolveAfter` in a row.
 */
function step(
  previous: ConditionState | undefined,
  bad: boolean,
  openAfter: number,
  resolveAfter: number,
  figures: TransitionFigures,
  nowIso: string,
): Step {
  const c = previous ?? okCondition();
  if (bad) {
    const above = c.above + 1;
    if (c.status === "open") return { condition: { ...c, above, below: 0, figures } };
    if (above >= openAfter) {
      return {
        condition: {
          ...c,
          status: "open",
          above,
          below: 0,
          openedAt: nowIso,
          lastNotifiedAt: nowIso,
          acknowledged: false,
          acknowledgedAt: undefined,
          figures,
        },
        change: "opened",
      };
    }
    return { condition: { ...c, status: "pending", above, below: 0, figures } };
  }
  if (c.status !== "open") return { condition: { ...c, status: "ok", above: 0, below: 0, figures } };
  const below = c.below + 1;
  if (below < resolveAfter) return { condition: { ...c, above: 0, below, figures } };
  return {
    condition: {
      ...c,
      status: "ok",
      above: 0,
      below: 0,
      openedAt: undefined,
      lastNotifiedAt: undefined,
      acknowledged: false,
      acknowledgedAt: undefined,
      figures,
    },
    change: "resolved",
    openedAt: c.openedAt,
  };
}

function okCondition(): ConditionState {
  return { status: "ok", above: 0, below: 0, acknowledged: false };
}

/**
 * Each listed disk: a `mount` condition (open after `sustain` probes without the path mounted,
 * resolved by the first probe that finds it mounted) and its own `disk` threshold condition. While
 * a disk is not mounted its use counts as below the threshold: the mount incident speaks for it.
 */
function evaluateDisks(run: Evaluation, disks: readonly string[], snapshot: Snapshot): void {
  const host: ConditionSubject = { kind: "host", name: "host" };
  for (const path of disks) {
    const seen = snapshot.host.disks?.find((d) => d.path === path);
    // A snapshot without disk figures (a hand-made one) says nothing about mounts.
    const mounted = seen ? seen.mounted : true;
    const mountKey = diskConditionKey("mount", path);
    const mountFigures: TransitionFigures = { up: mounted, mount: path };
    const mountStep = step(ownCondition(run.previous, mountKey), !mounted, run.sustain, 1, mountFigures, run.nowIso);
    run.next[mountKey] = stripUndefined(mountStep.condition);
    if (mountStep.change) record(run, mountKey, host, "mount", mountStep, mountFigures, false);
    const value = seen ? seen.percent : Number.NaN;
    evaluateThreshold(run, host, "disk", { value, threshold: run.rules.host.disk, unit: "%" }, !mounted, path);
  }
}

/** A threshold condition: open at or above (>=) for `sustain` probes, clear below for `sustain`. */
function evaluateThreshold(
  run: Evaluation,
  subject: ConditionSubject,
  condition: ConditionName,
  figures: { value: number; threshold: number; unit: FigureUnit },
  forceBelow = false,
  mount?: string,
): void {
  const key = mount !== undefined ? diskConditionKey("disk", mount) : conditionKey(subject, condition);
  const previous = ownCondition(run.previous, key);
  const shown: TransitionFigures = { value: figures.value, threshold: figures.threshold, unit: figures.unit, ...(mount !== undefined ? { mount } : {}) };
  if (!forceBelow && !Number.isFinite(figures.value)) {
    // A figure the probe could not read says nothing either way: keep counting where we were.
    run.next[key] = previous ?? okCondition();
    return;
  }
  const bad = !forceBelow && figures.value >= figures.threshold;
  const result = step(previous, bad, run.sustain, run.sustain, shown, run.nowIso);
  run.next[key] = stripUndefined(result.condition);
  if (result.change) record(run, key, subject, condition, result, shown, false);
}

/**
 * An https endpoint's certificate: open when it expires within CERTIFICATE_WARNING_DAYS (or has
 * expired), resolved when a renewed one is seen. The figure is the days left. A cycle without a
 * certificate (the endpoint did not answer) says nothing either way: the down alert speaks then.
 */
function evaluateCertificate(run: Evaluation, subject: ConditionSubject, observation: ServiceObservation | undefined): void {
  const key = conditionKey(subject, "certificate");
  const previous = ownCondition(run.previous, key);
  const expiresAt = observation?.endpoint?.certExpiresAt;
  if (!expiresAt) {
    if (previous) run.next[key] = previous;
    return;
  }
  const daysLeft = (expiresAt.getTime() - run.nowMs) / 86_400_000;
  const shown: TransitionFigures = { value: daysLeft, threshold: CERTIFICATE_WARNING_DAYS, unit: "days" };
  // Certificates change once in months: one probe is enough either way.
  const result = step(previous, daysLeft <= CERTIFICATE_WARNING_DAYS, 1, 1, shown, run.nowIso);
  run.next[key] = stripUndefined(result.condition);
  if (result.change) record(run, key, subject, "certificate", result, shown, false);
}

/**
 * A service's down condition (open after `sustain` probes without a match, resolved by the first
 * match) and its flapping condition, which counts the down condition's changes.
 */
function evaluateDownAndFlapping(run: Evaluation, subject: ConditionSubject, up: boolean): void {
  const downKey = conditionKey(subject, "down");
  const flappingKey = conditionKey(subject, "flapping");
  const previousDown = ownCondition(run.previous, downKey);
  const previousFlapping = ownCondition(run.previous, flappingKey) ?? okCondition();
  const { windowMs, changes: changesToFlap } = run.rules.flapping;

  const downStep = step(previousDown, !up, run.sustain, 1, { up }, run.nowIso);
  // Changes age out of the window; a clock that went backwards keeps them until it catches up.
  const changes = (previousDown?.changes ?? []).filter((t) => run.nowMs - t < windowMs);
  if (downStep.change) changes.push(run.nowMs);
  const down: ConditionState = stripUndefined({ ...downStep.condition, changes });
  run.next[downKey] = down;

  const isUp = down.status !== "open";
  const wasFlapping = previousFlapping.status === "open";
  const flappingEnabled = windowMs > 0 && changesToFlap > 0;
  const startsFlapping =
    !wasFlapping && flappingEnabled && downStep.change !== undefined && changes.length >= changesToFlap;
  const flapping = wasFlapping || startsFlapping;

  if (downStep.change) record(run, downKey, subject, "down", downStep, { up: isUp }, flapping);
  if (flapping) run.suppressedKeys.add(downKey);

  const flappingFigures: TransitionFigures = { up: isUp, changes: changes.length };
  if (startsFlapping) {
    const flappingState: ConditionState = {
      status: "open",
      above: 0,
      below: 0,
      openedAt: run.nowIso,
      lastNotifiedAt: run.nowIso,
      acknowledged: false,
      figures: flappingFigures,
    };
    run.next[flappingKey] = flappingState;
    record(run, flappingKey, subject, "flapping", { condition: flappingState, change: "opened" }, flappingFigures, false);
  } else if (wasFlapping && changes.length === 0) {
    // A full window without a change: the service settled, in whatever state it is now.
    run.next[flappingKey] = { ...okCondition(), figures: flappingFigures };
    const resolved: Step = { condition: run.next[flappingKey], change: "resolved", openedAt: previousFlapping.openedAt };
    record(run, flappingKey, subject, "flapping", resolved, flappingFigures, false);
  } else {
    run.next[flappingKey] = stripUndefined({ ...previousFlapping, figures: flappingFigures });
  }
}

/** Carries a service's conditions over unchanged: this probe said nothing about it. */
function keepServiceConditions(run: Evaluation, name: string): void {
  const prefix = `service:${name}:`;
  for (const [key, condition] of Object.entries(run.previous)) if (key.startsWith(prefix)) run.next[key] = condition;
}

/** Adds the opened/resolved transition of a step. */
function record(
  run: Evaluation,
  key: string,
  subject: ConditionSubject,
  condition: ConditionName,
  result: Step,
  figures: TransitionFigures,
  suppressed: boolean,
): void {
  const transition: Transition = {
    key,
    subject,
    condition,
    change: result.change!,
    at: run.nowIso,
    openedAt: result.change === "opened" ? run.nowIso : (result.openedAt ?? run.nowIso),
    figures,
    muted: isMuted(run, subject),
    suppressed,
  };
  if (result.change === "resolved") transition.durationMs = elapsed(run, transition.openedAt);
  run.transitions.push(transition);
}

/**
 * Reminders for every open, unacknowledged condition whose last notice is `remindMs` old. For a
 * muted subject, or a down condition the flapping alert replaces, the reminder clock still moves
 * on but nothing is emitted, so the end of a mute does not re-send at once.
 */
function emitReminders(run: Evaluation): void {
  const { remindMs } = run.rules;
  if (!(remindMs > 0)) return;
  for (const [key, condition] of Object.entries(run.next)) {
    if (condition.status !== "open" || condition.acknowledged) continue;
    if (!condition.lastNotifiedAt || !condition.openedAt) continue;
    // A last notice dated in the future means the clock went back: remind once now (which
    // restarts the reminder clock) rather than stay silent until the clock catches up.
    const sinceNotice = run.nowMs - Date.parse(condition.lastNotifiedAt);
    if (sinceNotice >= 0 && sinceNotice < remindMs) continue;
    run.next[key] = { ...condition, lastNotifiedAt: run.nowIso };
    const { subject, name } = describe(key);
    if (isMuted(run, subject) || run.suppressedKeys.has(key)) continue;
    run.transitions.push({
      key,
      subject,
      condition: name,
      change: "reminder",
      at: run.nowIso,
      openedAt: condition.openedAt,
      durationMs: elapsed(run, condition.openedAt),
      figures: condition.figures ?? {},
      muted: false,
      suppressed: false,
    });
  }
}

/** The subject and condition of a key this module made (the inverse of `conditionKey`). */
function describe(key: string): { subject: ConditionSubject; name: ConditionName } {
  const parts = key.split(":");
  // host:disk:/srv/media: the path may hold colons of its own, the condition is the second part.
  if (parts[0] === "host") return { subject: { kind: "host", name: "host" }, name: parts[1] as ConditionName };
  return { subject: { kind: "service", name: parts[1] }, name: parts[2] as ConditionName };
}

/** The host is muted only by "all"; a service by "all" or its name. */
function isMuted(run: Evaluation, subject: ConditionSubject): boolean {
  return run.rules.mutes.some(
    (mute) =>
      mute.until.getTime() > run.nowMs &&
      (mute.subject === "all" || (subject.kind === "service" && mute.subject === subject.name)),
  );
}

function elapsed(run: Evaluation, sinceIso: string): number {
  return Math.max(0, run.nowMs - Date.parse(sinceIso));
}

/** Reads only own properties, so a key like `__proto__` from a button is just an unknown key. */
function ownCondition(conditions: Record<string, ConditionState>, key: string): ConditionState | undefined {
  return Object.hasOwn(conditions, key) ? conditions[key] : undefined;
}

/** Drops undefined fields, so the state is the same before and after a JSON round trip. */
function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isConditionState(value: unknown): value is ConditionState {
  return (
    isObject(value) &&
    (value.status === "ok" || value.status === "pending" || value.status === "open") &&
    typeof value.above === "number" &&
    typeof value.below === "number" &&
    typeof value.acknowledged === "boolean" &&
    (value.changes === undefined || (Array.isArray(value.changes) && value.changes.every((t) => typeof t === "number")))
  );
}
