import { isAbsolute, resolve, basename } from "node:path";
import { LineCounter, parseDocument, isAlias, isMap, isSeq, visit, type Document, type Pair, type YAMLMap } from "yaml";
import type { z } from "zod";
import { ConfigError } from "./config-error.js";
import { describeUnreadable, readRegularFile } from "./read-regular-file.js";
import { didYouMean } from "./did-you-mean.js";
import { durationOutOfBounds } from "./duration-bounds.js";
import { formatDuration, parseDuration } from "./durations.js";
import { gaiaFileSchema, type GaiaFile } from "./schema.js";
import { DEFAULT_CGROUP_ROOT, DEFAULT_DOCKER_SOCKET, DEFAULT_ENDPOINT_TIMEOUT_MS, type GaiaConfig, type ServiceConfig, type ServiceMatch, type TaskConfig } from "./types.js";

/** Far above any real gaia.yml; a bigger file is not read whole. */
const MAX_SETTINGS_BYTES = 16 * 1024 * 1024;

/** The admin id used when no gaia.yml exists: the person at the console. */
export const CONSOLE_ADMIN_ID = 0;

/**
 * Reads and validates `gaia.yml`. Every problem is reported at once, as
 * `gaia.yml:LINE key.path: message`, in one ConfigError. A missing file is an error unless
 * `allowMissing` (console mode), where the defaults are used and the console user is the admin.
 */
export function loadSettings(file: string, home: string, options: { allowMissing?: boolean } = {}):
  { settings: GaiaConfig; usingDefaults: boolean } {
  const label = basename(file);
  // Never blocks on a FIFO, never reads a device; a dangling link is not "missing" (console mode).
  const read = readRegularFile(file, MAX_SETTINGS_BYTES);
  if (!read.ok && read.problem === "missing") {
    if (!options.allowMissing) {
      throw new ConfigError([
        `${label}: not found in ${home}; copy gaia.example.yml to gaia.yml and list your Telegram user id under telegram.admins`,
      ]);
    }
    const parsed = gaiaFileSchema.parse({ telegram: { admins: [CONSOLE_ADMIN_ID] } });
    return { settings: toSettings(parsed, home), usingDefaults: true };
  }
  if (!read.ok) {
    // A directory, a FIFO or an unreadable file: a config problem to name, not a hang or a stack trace.
    throw new ConfigError([`${label}: ${describeUnreadable(read)}; make ${file} a regular file readable by the user running gaia`]);
  }
  const text = read.text;
  return { settings: parseSettings(text, home, label), usingDefaults: false };
}

/** At most this many problems are listed; the rest are counted (fix these first, then run again). */
export const MAX_LISTED_PROBLEMS = 50;

/** Validates the text of a gaia.yml; `label` names the file in messages. */
export function parseSettings(text: string, home: string, label = "gaia.yml"): GaiaConfig {
  const lineCounter = new LineCounter();
  // Duplicate keys are found below: the parser's own check compares every key with every other
  // (50,000 keys took minutes).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const syntax: Problem[] = doc.errors.map((e) => {
    const line = lineCounter.linePos(e.pos[0]).line;
    return { line, text: `${label}:${line} ${e.message.split("\n")[0]} (fix the YAML syntax there)` };
  });
  if (syntax.length === 0) syntax.push(...duplicateKeys(doc, lineCounter, label));
  if (syntax.length > 0) throw new ConfigError(listed(syntax));
  const raw = toJsOrExplain(doc, lineCounter, label) ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([`${label}:1 the file must be a mapping of sections (telegram:, services:, ...); see gaia.example.yml`]);
  }
  // reportInput: zod 4 leaves the value out of an issue otherwise, and every wrong type would read "is required".
  const result = gaiaFileSchema.safeParse(raw, { reportInput: true });
  const lines = new LineFinder(doc, lineCounter);
  const problems: Problem[] = [];
  const at = (path: readonly PropertyKey[], message: string): Problem => {
    const line = lines.lineOf(path);
    return { line, text: `${label}:${line} ${formatPath(path)}: ${message}` };
  };
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(issue, at));
  }
  // Cross-checks read the file as written, so that they are reported together with the schema's problems.
  problems.push(...crossChecks(raw as Record<string, unknown>).map(({ path, message }) => at(path, message)));
  if (problems.length > 0) throw new ConfigError(listed(problems));
  return toSettings(result.data!, home);
}

interface Problem {
  line: number;
  text: string;
}

/** The problems by line, the first MAX_LISTED_PROBLEMS of them, and a count of the rest. */
function listed(problems: Problem[]): string[] {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const shown = sorted.slice(0, MAX_LISTED_PROBLEMS).map((p) => p.text);
  const rest = sorted.length - shown.length;
  if (rest > 0) shown.push(`…and ${rest} more problem${rest === 1 ? "" : "s"} (fix the ones above and run gaia check again)`);
  return shown;
}

/**
 * The file as plain data. Aliases are resolved here: an alias to an anchor that does not exist
 * (`admins: *nope`) or an alias bomb (more aliases than the parser allows) is a problem with the
 * alias's line, not a stack trace.
 */
function toJsOrExplain(doc: Document, counter: LineCounter, label: string): unknown {
  try {
    return doc.toJS();
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const anchors = new Set<string>();
    let unresolved: { source: string; offset: number } | undefined;
    let firstAlias: number | undefined;
    visit(doc, {
      Node(_key, node) {
        if (isAlias(node)) {
          firstAlias ??= node.range?.[0];
          if (!unresolved && !anchors.has(node.source)) unresolved = { source: node.source, offset: node.range?.[0] ?? 0 };
        } else if (node.anchor) {
          anchors.add(node.anchor);
        }
      },
    });
    if (unresolved) {
      throw new ConfigError([`${label}:${counter.linePos(unresolved.offset).line} alias *${unresolved.source} names no anchor (&${unresolved.source}) above it; define the anchor first or write the value out`]);
    }
    throw new ConfigError([`${label}:${firstAlias === undefined ? 1 : counter.linePos(firstAlias).line} too many aliases (${error.message}); write the values out instead`]);
  }
}

/** Keys written twice in one mapping (YAML forbids it; the second would silently win). */
function duplicateKeys(doc: Document, counter: LineCounter, label: string): Problem[] {
  const problems: Problem[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = (pair.key as { value?: unknown } | null)?.value;
        if (key === undefined || key === null || typeof key === "object") continue;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const line = counter.linePos((pair.key as { range?: [number] }).range?.[0] ?? 0).line;
        problems.push({ line, text: `${label}:${line} Map keys must be unique: "${String(key)}" is written twice here (fix the YAML syntax there)` });
      }
    },
  });
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue, at: (path: readonly PropertyKey[], message: string) => Problem): Problem[] {
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => {
      const hint = didYouMean(key, known);
      const fix = hint ? `did you mean ${hint}?` : known.length ? `known keys here: ${known.join(", ")}` : "remove it";
      return at([...issue.path, key], `unknown key "${key}"; ${fix}`);
    });
  }
  let message = issue.message;
  if (issue.code === "invalid_type" && issue.input === undefined) {
    message = message.startsWith("Invalid input") ? "is required" : `is required: ${message}`;
  }
  return [at(issue.path, message)];
}

/** The keys a strict object accepts at a path, for "did you mean". */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = gaiaFileSchema;
  for (const key of path) {
    schema = unwrap(schema);
    if (typeof key === "number") schema = (schema as { element?: unknown }).element;
    else schema = (schema as { shape?: Record<string, unknown> }).shape?.[String(key)];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> })?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema as { def?: { innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; i < 10 && current?.def; i++) {
    const next = current.def.innerType ?? current.def.in ?? current.def.schema;
    if (!next) break;
    current = next as typeof current;
  }
  return current;
}

/**
 * Problems between keys (unique names, grace without expect, remind below the probe period...),
 * read from the file as written: it may be invalid elsewhere, so every value is looked at with care.
 */
function crossChecks(raw: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seen = new Map<string, string>();
  listAt(raw.services).forEach((s, i) => {
    const name = s.name;
    if (typeof name !== "string") return;
    if (seen.has(name)) problems.push({ path: ["services", i, "name"], message: `"${name}" is already used by ${seen.get(name)}; names must be unique` });
    else seen.set(name, `services[${i}]`);
  });
  listAt(raw.tasks).forEach((t, i) => {
    const name = t.name;
    if (typeof name === "string") {
      if (seen.has(name)) problems.push({ path: ["tasks", i, "name"], message: `"${name}" is already used by ${seen.get(name)}; names must be unique among services and tasks` });
      else seen.set(name, `tasks[${i}]`);
    }
    if (t.grace !== undefined && t.expect === undefined) problems.push({ path: ["tasks", i, "grace"], message: "grace only applies with expect; add expect: DURATION" });
  });
  // A maintenance window silences services by name: a typo would silence nothing.
  listAt(raw.maintenance).forEach((m, i) => {
    if (!Array.isArray(m.services)) return;
    m.services.forEach((name, j) => {
      if (typeof name === "string" && name !== "all" && !seen.get(name)?.startsWith("services[")) {
        problems.push({ path: ["maintenance", i, "services", j], message: `"${name}" is not a service of this file; give service names, or all` });
      }
    });
  });
  const remindMs = parseDuration(durationText(sectionAt(raw.alerts).remind, "1h"));
  const probeMs = parseDuration(durationText(sectionAt(raw.probe).every, "15s"));
  const bothInBounds = remindMs !== undefined && probeMs !== undefined && !durationOutOfBounds("alerts.remind", remindMs) && !durationOutOfBounds("probe.every", probeMs);
  if (bothInBounds && remindMs > 0 && remindMs < probeMs) {
    problems.push({ path: ["alerts", "remind"], message: `must be at least probe.every (${formatDuration(probeMs)}), or 0 for never: a reminder can only repeat what the last probe saw` });
  }
  if (sectionAt(raw.rotation).approval === "auto" && sectionAt(raw.github).identity !== "app") {
    problems.push({ path: ["rotation", "approval"], message: "auto needs github.identity: app (a pasted token needs a human); use required" });
  }
  return problems;
}

function sectionAt(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function listAt(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(sectionAt) : [];
}

function durationText(value: unknown, fallback: string): string | number {
  return typeof value === "string" || typeof value === "number" ? value : fallback;
}

/** `HOST:PORT` (validated by the schema) split; brackets around an IPv6 host dropped. */
/** systemd's unit types; a name without one of them is a service, as systemctl takes it. */
const UNIT_TYPES = ["service", "socket", "device", "mount", "automount", "swap", "target", "path", "timer", "slice", "scope"];

/** `nginx` → `nginx.service`; a name with a unit type suffix stays as it is. */
export function unitName(name: string): string {
  const suffix = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : "";
  return UNIT_TYPES.includes(suffix) ? name : `${name}.service`;
}

function tcpMatch(target: string, timeoutMs: number): ServiceMatch {
  const text = target.trim();
  const colon = text.lastIndexOf(":");
  return { kind: "tcp", tcp: text, host: text.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(text.slice(colon + 1)), timeoutMs };
}

function toSettings(file: GaiaFile, home: string): GaiaConfig {
  const services: ServiceConfig[] = file.services.map((s) => ({
    name: s.name,
    match:
      s.match.process !== undefined
        ? { kind: "process", process: s.match.process, ...(s.match.args ? { args: s.match.args } : {}) }
        : s.match.pidfile !== undefined
          ? { kind: "pidfile", pidfile: isAbsolute(s.match.pidfile) ? s.match.pidfile : resolve(home, s.match.pidfile) }
          : s.match.port !== undefined
            ? { kind: "port", port: s.match.port }
            : s.match.http !== undefined
              ? {
                  kind: "http",
                  http: s.match.http,
                  ...(s.match.status !== undefined ? { status: s.match.status } : {}),
                  ...(s.match.contains !== undefined ? { contains: s.match.contains } : {}),
                  timeoutMs: s.match.timeout ?? DEFAULT_ENDPOINT_TIMEOUT_MS,
                }
              : s.match.container !== undefined
                ? { kind: "container", container: s.match.container.replace(/^\//, "") }
                : s.match.unit !== undefined
                  ? { kind: "unit", unit: unitName(s.match.unit) }
                  : tcpMatch(s.match.tcp!, s.match.timeout ?? DEFAULT_ENDPOINT_TIMEOUT_MS),
    ...(s.cpu !== undefined ? { cpu: s.cpu } : {}),
    ...(s.memory !== undefined ? { memory: s.memory } : {}),
    ...(s.restart !== undefined ? { restart: s.restart } : {}),
  }));
  const tasks: TaskConfig[] = file.tasks.map((t) => ({
    name: t.name,
    ...(t.expect !== undefined ? { expectMs: t.expect, graceMs: t.grace ?? Math.round(t.expect / 10) } : {}),
    ...(t.timeout !== undefined ? { timeoutMs: t.timeout } : {}),
    ...(t.env !== undefined ? { env: t.env } : {}),
  }));
  return deepFreeze({
    telegram: { admins: file.telegram.admins, chat: file.telegram.chat ?? file.telegram.admins[0] },
    heartbeat: { everyMs: file.heartbeat.every, ...(file.heartbeat.url ? { url: file.heartbeat.url } : {}) },
    probe: { everyMs: file.probe.every },
    host: file.host,
    services,
    ...(file.digest !== undefined ? { digest: typeof file.digest === "string" ? { cron: file.digest, always: false } : file.digest } : {}),
    ...(file.maintenance ? { maintenance: file.maintenance.map((m) => ({ cron: m.cron, forMs: m.for, services: m.services })) } : {}),
    ...(file.docker || services.some((s) => s.match.kind === "container") ? { docker: file.docker ?? { socket: DEFAULT_DOCKER_SOCKET } } : {}),
    ...(file.systemd || services.some((s) => s.match.kind === "unit") ? { systemd: { cgroupRoot: file.systemd?.cgroups ?? DEFAULT_CGROUP_ROOT } } : {}),
    tasks,
    alerts: { remindMs: file.alerts.remind },
    approvals: { timeoutMs: file.approvals.timeout },
    api: { ...file.api.listen, allowRemote: file.api.allowRemote },
    ...(file.github ? { github: file.github } : {}),
    rotation: file.rotation,
    retention: { eventsMs: file.retention.events, samplesMs: file.retention.samples },
    backup: { everyMs: file.backup.every, keep: file.backup.keep, folder: isAbsolute(file.backup.folder) ? file.backup.folder : resolve(home, file.backup.folder) },
  });
}

/**
 * The line of a key path in the file, walking down as far as the path exists (a missing key is
 * reported at its parent's line). Each mapping's keys are indexed once, so that thousands of
 * problems in one mapping take linear time.
 */
class LineFinder {
  private readonly keyIndex = new WeakMap<object, Map<unknown, Pair>>();

  constructor(private readonly doc: Document, private readonly counter: LineCounter) {}

  lineOf(path: readonly PropertyKey[]): number {
    let node: unknown = this.doc.contents;
    let offset = 0;
    for (const key of path) {
      if (isMap(node)) {
        const pair = this.pairsOf(node).get(key);
        if (!pair) break;
        offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
        offset = (node as { range?: [number] })?.range?.[0] ?? offset;
      } else break;
    }
    if (offset === 0 && path.length === 0) return 1;
    return this.counter.linePos(offset).line;
  }

  private pairsOf(map: YAMLMap): Map<unknown, Pair> {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        const key = (pair.key as { value?: unknown })?.value;
        if (!index.has(key)) index.set(key, pair);
      }
      this.keyIndex.set(map, index);
    }
    return index;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "") || "(top level)";
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
