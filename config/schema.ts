import { z } from "zod";
import { validate as isValidCron } from "node-cron";
import { durationOutOfBounds, type BoundedDurationKey } from "./duration-bounds.js";
import { parseDuration, parseSize } from "./durations.js";
import { isLoopbackHost } from "./loopback.js";

/**
 * The zod schema of `gaia.yml` (CONTRACT section 3). It validates the file as the user wrote it
 * (durations as text, memory as a number or a size) and applies every default; `load-config.ts`
 * turns the result into the typed `GaiaConfig`. Objects are strict so that a typo is reported
 * with a "did you mean" instead of being ignored.
 */

const NAME = /^[a-z0-9_-]{1,32}$/;

/**
 * Names a service or task cannot take: `host` is the host's own subject (its samples, its
 * incidents), `all` is `/mute all`.
 */
export const RESERVED_NAMES: readonly string[] = ["host", "all"];

const subjectName = () =>
  z
    .string()
    .regex(NAME, { message: "must be 1-32 characters of a-z 0-9 _ -" })
    .refine((name) => !RESERVED_NAMES.includes(name), {
      error: (issue) => `"${String(issue.input)}" is reserved (host is the host itself, all is /mute all); choose another name`,
    });

const duration = () =>
  z.union([z.string(), z.number()]).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `"${text}" is not a duration; write it like 30s, 5m, 1h or 7d`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A duration checked against its documented bounds (config/duration-bounds.ts). */
const boundedDuration = (key: BoundedDurationKey) =>
  duration().check((ctx) => {
    const problem = durationOutOfBounds(key, ctx.value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  });

const percent = z
  .number({ error: "must be a number from 1 to 100 (a percentage)" })
  .min(1, { message: "must be a percentage from 1 to 100" })
  .max(100, { message: "must be a percentage from 1 to 100" });

const telegramId = z.number({ error: "must be a numeric Telegram id, e.g. 123456789" }).int();

const memoryLimit = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") {
    if (value >= 1 && value <= 100) return { kind: "percent" as const, percent: value };
  } else {
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?\s*%$/.test(trimmed)) {
      const pct = Number(trimmed.replace("%", ""));
      if (pct >= 1 && pct <= 100) return { kind: "percent" as const, percent: pct };
    }
    const bytes = parseSize(trimmed);
    if (bytes !== undefined && bytes > 0) return { kind: "bytes" as const, bytes };
  }
  ctx.addIssue({
    code: "custom",
    message: `"${value}" is not a memory limit; give a percentage from 1 to 100 or a size such as 512MB`,
  });
  return z.NEVER;
});

/** A systemd unit's name (letters, digits and :-_.@\\), with or without its type suffix. */
const UNIT_NAME = /^[a-zA-Z0-9:_.@\\-]{1,255}$/;

/** `HOST:PORT` of a tcp endpoint (an IPv6 host in brackets). */
const TCP_TARGET = /^(\[[0-9a-f:]+\]|[\w.-]+):(\d{1,5})$/i;

const match = z
  .strictObject({
    process: z.string().min(1, { message: "give the process name, e.g. node" }).optional(),
    args: z.string().min(1).optional(),
    pidfile: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535, { message: "must be a TCP port from 1 to 65535" }).optional(),
    http: z.url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. http://127.0.0.1:8096/health" }).optional(),
    status: z.number({ error: "must be an HTTP status code from 100 to 599" }).int().min(100, { message: "must be an HTTP status code from 100 to 599" }).max(599, { message: "must be an HTTP status code from 100 to 599" }).optional(),
    contains: z.string().min(1, { message: "give the text the answer must contain" }).optional(),
    timeout: boundedDuration("services[].match.timeout").optional(),
    container: z.string().regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, { message: "must be a container name, e.g. jellyfin" }).optional(),
    unit: z.string().regex(UNIT_NAME, { message: "must be a systemd unit name, e.g. nginx.service" }).optional(),
    tcp: z
      .string()
      .refine((text) => TCP_TARGET.test(text.trim()) && Number(TCP_TARGET.exec(text.trim())![2]) >= 1 && Number(TCP_TARGET.exec(text.trim())![2]) <= 65535, {
        message: "write it as HOST:PORT, e.g. 127.0.0.1:5432",
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    const given = [m.process, m.pidfile, m.port, m.http, m.tcp, m.container, m.unit].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({ code: "custom", message: "give exactly one of process, pidfile, port, http, tcp, container, unit" });
    }
    if (m.args !== undefined && m.process === undefined) {
      ctx.addIssue({ code: "custom", path: ["args"], message: "args only refines process; add process: NAME" });
    }
    for (const key of ["status", "contains"] as const) {
      if (m[key] !== undefined && m.http === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `${key} only refines http; add http: URL` });
      }
    }
    if (m.timeout !== undefined && m.http === undefined && m.tcp === undefined) {
      ctx.addIssue({ code: "custom", path: ["timeout"], message: "timeout only applies to http or tcp" });
    }
  });

const service = z.strictObject({
  name: subjectName(),
  match,
  cpu: z.number().min(1, { message: "must be a % of one core, at least 1" }).optional(),
  memory: memoryLimit.optional(),
  restart: z.string().min(1).optional(),
});

const task = z.strictObject({
  name: subjectName(),
  expect: boundedDuration("tasks[].expect").optional(),
  grace: boundedDuration("tasks[].grace").optional(),
  timeout: boundedDuration("tasks[].timeout").optional(),
  env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be a variable name" })).optional(),
});

const store = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("env-file") }),
    z.strictObject({
      type: z.literal("github-actions"),
      repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, { message: "write it as owner/name" }),
      secret: z.string().regex(/^[A-Z_][A-Z0-9_]*$/i, { message: "must be a secret name (letters, digits, _)" }),
    }),
    z.strictObject({ type: z.literal("command"), run: z.string().min(1) }),
  ],
  { error: "type must be one of env-file, github-actions, command" },
);

const listen = z.string().transform((text, ctx) => {
  const m = /^(\[[0-9a-f:]+\]|[\w.-]+):(\d{1,5})$/i.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not HOST:PORT; write it like 127.0.0.1:8787` });
    return z.NEVER;
  }
  if (port < 1 || port > 65535) {
    // Port 0 would listen on a random port that `gaia status` and `gaia approve` cannot find.
    ctx.addIssue({ code: "custom", message: `port ${port} is not usable; give a fixed port from 1 to 65535, e.g. 127.0.0.1:8787` });
    return z.NEVER;
  }
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
});

export const gaiaFileSchema = z.strictObject({
  telegram: z.strictObject({
    admins: z
      .array(telegramId, { error: "list the admins' Telegram user ids, e.g. admins: [123456789]" })
      .min(1, { message: "list at least one admin's Telegram user id (ask @userinfobot for yours)" }),
    chat: telegramId.optional(),
  }, { error: "add a telegram section with admins: [YOUR_TELEGRAM_USER_ID]" }),
  heartbeat: z
    .strictObject({
      every: boundedDuration("heartbeat.every").prefault("1m"),
      url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    })
    .prefault({}),
  probe: z.strictObject({ every: boundedDuration("probe.every").prefault("15s") }).prefault({}),
  host: z
    .strictObject({
      cpu: percent.default(90),
      memory: percent.default(90),
      disk: percent.default(90),
      disks: z
        .array(z.string().regex(/^\//, { message: "must be an absolute path of a mount point, e.g. /srv/media" }), {
          error: "list the mount points to watch, e.g. disks: [/, /srv/media]",
        })
        .min(1, { message: "list at least one mount point, or leave disks out to watch the home folder's disk" })
        .optional(),
      sustain: z.number().int().min(1, { message: "must be a whole number of probes, at least 1" }).max(100).default(2),
    })
    .prefault({}),
  services: z.array(service).nullish().transform((v) => v ?? []),
  tasks: z.array(task).nullish().transform((v) => v ?? []),
  docker: z
    .strictObject({ socket: z.string().regex(/^\//, { message: "must be the absolute path of the Docker socket, e.g. /var/run/docker.sock" }).default("/var/run/docker.sock") })
    .optional(),
  digest: z
    .union([
      z.string().refine((expr) => isValidCron(expr), { message: 'is not a cron expression; e.g. "0 8 * * *" (08:00 every day)' }),
      z.strictObject({
        cron: z.string().refine((expr) => isValidCron(expr), { message: 'is not a cron expression; e.g. "0 8 * * *" (08:00 every day)' }),
        always: z.boolean({ error: "must be true or false" }).default(false),
      }),
    ], { error: 'give a cron time, e.g. digest: "0 8 * * *", or { cron: "0 8 * * *", always: true }' })
    .optional(),
  maintenance: z
    .array(
      z.strictObject({
        cron: z.string().refine((expr) => expr.trim().split(/\s+/).length === 5 && isValidCron(expr), { message: 'is not a 5-field cron expression; e.g. "0 3 * * 0" (03:00 on Sundays)' }),
        for: boundedDuration("maintenance[].for"),
        services: z.array(z.string().min(1), { error: "list the services it silences, e.g. services: [agent]" }).min(1, { message: "list at least one service" }),
      }),
    )
    .optional(),
  systemd: z
    .strictObject({ cgroups: z.string().regex(/^\//, { message: "must be the absolute path where the cgroup filesystem is mounted, e.g. /sys/fs/cgroup" }).default("/sys/fs/cgroup") })
    .optional(),
  alerts: z.strictObject({ remind: boundedDuration("alerts.remind").prefault("1h") }).prefault({}),
  approvals: z.strictObject({ timeout: boundedDuration("approvals.timeout").prefault("10m") }).prefault({}),
  api: z
    .strictObject({
      listen: listen.prefault("127.0.0.1:8787"),
      // The API serves status, metrics and approvals: off the host only when asked for by name.
      allowRemote: z.boolean({ error: "must be true or false" }).default(false),
    })
    .superRefine((api, ctx) => {
      if (api.allowRemote || isLoopbackHost(api.listen.host)) return;
      ctx.addIssue({
        code: "custom",
        path: ["listen"],
        message: `${api.listen.host} is not a loopback address, so the local API would answer the network; listen on 127.0.0.1:${api.listen.port}, or add allowRemote: true under api: to mean it (keep the token secret, and firewall the port)`,
      });
    })
    .prefault({}),
  github: z
    .strictObject({
      identity: z.enum(["pat", "app"], { error: "must be pat or app" }),
      repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, { message: "write it as owner/name" }).optional(),
    })
    .optional(),
  rotation: z
    .strictObject({
      schedule: z
        .string()
        .refine((expr) => isValidCron(expr), { message: 'is not a cron expression; e.g. "0 9 1 * *" (09:00 on the 1st)' })
        .default("0 9 1 * *"),
      approval: z.enum(["required", "auto"], { error: "must be required or auto" }).default("required"),
      stores: z.array(store).default([{ type: "env-file" }]),
    })
    .prefault({}),
  retention: z
    .strictObject({ events: boundedDuration("retention.events").prefault("90d"), samples: boundedDuration("retention.samples").prefault("7d") })
    .prefault({}),
  backup: z
    .strictObject({
      every: boundedDuration("backup.every").prefault("1d"),
      keep: z.number({ error: "must be a whole number of backups from 1 to 100" }).int().min(1, { message: "must be from 1 to 100" }).max(100, { message: "must be from 1 to 100" }).default(7),
      folder: z.string().min(1, { message: "give a folder, e.g. .tmp/backups" }).default(".tmp/backups"),
    })
    .prefault({}),
});

export type GaiaFile = z.output<typeof gaiaFileSchema>;
