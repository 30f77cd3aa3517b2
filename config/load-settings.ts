import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve, basename } from "node:path";
import { LineCounter, parseDocument, isMap, isSeq, type Document } from "yaml";
import type { z } from "zod";
import { ConfigError } from "./config-error.js";
import { didYouMean } from "./did-you-mean.js";
import { gaiaFileSchema, type GaiaFile } from "./schema.js";
import type { GaiaConfig, ServiceConfig, TaskConfig } from "./types.js";

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
  if (!existsSync(file)) {
    if (!options.allowMissing) {
      throw new ConfigError([
        `${label}: not found in ${home}; copy gaia.example.yml to gaia.yml and list your Telegram user id under telegram.admins`,
      ]);
    }
    const parsed = gaiaFileSchema.parse({ telegram: { admins: [CONSOLE_ADMIN_ID] } });
    return { settings: toSettings(parsed, home), usingDefaults: true };
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    // A directory or an unreadable file: a config problem to name, not a crash with a stack trace.
    throw new ConfigError([`${label}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); make ${file} a file readable by the user running gaia`]);
  }
  return { settings: parseSettings(text, home, label), usingDefaults: false };
}

/** Validates the text of a gaia.yml; `label` names the file in messages. */
export function parseSettings(text: string, home: string, label = "gaia.yml"): GaiaConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `${label}:${lineCounter.linePos(e.pos[0]).line} ${e.message.split("\n")[0]} (fix the YAML syntax there)`),
    );
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([`${label}:1 the file must be a mapping of sections (telegram:, services:, ...); see gaia.example.yml`]);
  }
  // reportInput: zod 4 leaves the value out of an issue otherwise, and every wrong type would read "is required".
  const result = gaiaFileSchema.safeParse(raw, { reportInput: true });
  const problems: string[] = [];
  const where = (path: readonly PropertyKey[]) => `${label}:${lineOf(doc, lineCounter, path)} ${formatPath(path)}`;
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(issue, where));
  } else {
    problems.push(...crossChecks(result.data).map(({ path, message }) => `${where(path)}: ${message}`));
  }
  if (problems.length > 0) throw new ConfigError(sortByLine(problems));
  return toSettings(result.data!, home);
}

function describeIssue(issue: z.core.$ZodIssue, where: (path: readonly PropertyKey[]) => string): string[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const known = knownKeysAt(issue.path);
      const hint = didYouMean(key, known);
      const fix = hint ? `did you mean ${hint}?` : known.length ? `known keys here: ${known.join(", ")}` : "remove it";
      return `${where([...issue.path, key])}: unknown key "${key}"; ${fix}`;
    });
  }
  let message = issue.message;
  if (issue.code === "invalid_type" && issue.input === undefined) {
    message = message.startsWith("Invalid input") ? "is required" : `is required: ${message}`;
  }
  return [`${where(issue.path)}: ${message}`];
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

function crossChecks(file: GaiaFile): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seen = new Map<string, string>();
  file.services.forEach((s, i) => {
    if (seen.has(s.name)) problems.push({ path: ["services", i, "name"], message: `"${s.name}" is already used by ${seen.get(s.name)}; names must be unique` });
    else seen.set(s.name, `services[${file.services.indexOf(s)}]`);
  });
  file.tasks.forEach((t, i) => {
    if (seen.has(t.name)) problems.push({ path: ["tasks", i, "name"], message: `"${t.name}" is already used by ${seen.get(t.name)}; names must be unique among services and tasks` });
    else seen.set(t.name, `tasks[${i}]`);
    if (t.grace !== undefined && t.expect === undefined) problems.push({ path: ["tasks", i, "grace"], message: "grace only applies with expect; add expect: DURATION" });
  });
  if (file.rotation.approval === "auto" && file.github?.identity !== "app") {
    problems.push({ path: ["rotation", "approval"], message: "auto needs github.identity: app (a pasted token needs a human); use required" });
  }
  return problems;
}

function toSettings(file: GaiaFile, home: string): GaiaConfig {
  const services: ServiceConfig[] = file.services.map((s) => ({
    name: s.name,
    match:
      s.match.process !== undefined
        ? { kind: "process", process: s.match.process, ...(s.match.args ? { args: s.match.args } : {}) }
        : s.match.pidfile !== undefined
          ? { kind: "pidfile", pidfile: isAbsolute(s.match.pidfile) ? s.match.pidfile : resolve(home, s.match.pidfile) }
          : { kind: "port", port: s.match.port! },
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
    tasks,
    alerts: { remindMs: file.alerts.remind },
    approvals: { timeoutMs: file.approvals.timeout },
    api: file.api.listen,
    ...(file.github ? { github: file.github } : {}),
    rotation: file.rotation,
    retention: { eventsMs: file.retention.events, samplesMs: file.retention.samples },
  });
}

function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number {
  // Walk down as far as the path exists; a missing key is reported at its parent's line.
  let node: unknown = doc.contents;
  let offset = 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number") {
      node = node.items[key];
      offset = (node as { range?: [number] })?.range?.[0] ?? offset;
    } else break;
  }
  if (offset === 0 && path.length === 0) return 1;
  return counter.linePos(offset).line;
}

function sortByLine(problems: string[]): string[] {
  const lineOfProblem = (p: string) => Number(/^[^:]+:(\d+)/.exec(p)?.[1] ?? 0);
  return [...problems].sort((a, b) => lineOfProblem(a) - lineOfProblem(b));
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
