/**
 * The typed, validated settings that every other folder receives from `config/`.
 * Durations are milliseconds, percentages are numbers from 1 to 100.
 */
import type { Secret } from "./secret.js";

export type ServiceMatch =
  | { kind: "process"; process: string; args?: string }
  | { kind: "pidfile"; pidfile: string } // absolute path, resolved against the home folder
  | { kind: "port"; port: number }
  /** Answers over HTTP(S): a status (default any 2xx/3xx), optionally with text in the body, within timeoutMs. */
  | { kind: "http"; http: string; status?: number; contains?: string; timeoutMs: number }
  /** Accepts a TCP connection within timeoutMs. */
  | { kind: "tcp"; tcp: string; host: string; port: number; timeoutMs: number }
  /** A Docker container by name, through the Engine API on `docker.socket`. */
  | { kind: "container"; container: string }
  /** A systemd unit by name (always with its type suffix: nginx.service), through systemd's D-Bus API. */
  | { kind: "unit"; unit: string };

/** Where the cgroup filesystem is mounted unless `systemd.cgroups` says otherwise. */
export const DEFAULT_CGROUP_ROOT = "/sys/fs/cgroup";

/** How long one D-Bus call to systemd may take; a unit takes two or three calls, one after the other. */
export const UNIT_CALL_TIMEOUT_MS = 3_000;

/** A unit check's deadline in the background: its calls' deadlines end to end. */
export const UNIT_CHECK_TIMEOUT_MS = 3 * UNIT_CALL_TIMEOUT_MS;

/** The system bus unless DBUS_SYSTEM_BUS_ADDRESS says otherwise. */
export const DEFAULT_SYSTEM_BUS_ADDRESS = "unix:path=/var/run/dbus/system_bus_socket";

/** Where the Docker Engine API listens unless `docker.socket` says otherwise. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** An endpoint check's deadline when gaia.yml gives none. */
export const DEFAULT_ENDPOINT_TIMEOUT_MS = 10_000;

/** The Docker Engine API deadline of one container's check (its inspect and stats requests together). */
export const CONTAINER_CHECK_TIMEOUT_MS = 5_000;

/** A memory limit: a share of total memory, or an absolute number of bytes. */
export type MemoryLimit = { kind: "percent"; percent: number } | { kind: "bytes"; bytes: number };

export interface ServiceConfig {
  name: string;
  match: ServiceMatch;
  /** % of one core, summed over the service's processes. */
  cpu?: number;
  memory?: MemoryLimit;
  restart?: string;
}

export interface TaskConfig {
  name: string;
  expectMs?: number;
  graceMs?: number; // resolved: default 10% of expect
  timeoutMs?: number;
  /** Variables of .private/.env passed to the job; undefined means all but gaia's own secrets. */
  env?: string[];
}

/** A recurring silence: from each time `cron` names, for `forMs`, the listed services' alerts are muted. */
export interface MaintenanceWindow {
  cron: string;
  forMs: number;
  services: string[];
}

export type StoreConfig =
  | { type: "env-file" }
  | { type: "github-actions"; repository: string; secret: string }
  | { type: "command"; run: string };

export interface GaiaConfig {
  telegram: { admins: number[]; chat: number };
  heartbeat: { everyMs: number; url?: string };
  probe: { everyMs: number };
  /** `disks`: mount points watched against `disk` (absent: the home folder's filesystem). */
  host: { cpu: number; memory: number; disk: number; sustain: number; disks?: string[] };
  services: ServiceConfig[];
  /** The Docker Engine API's unix socket, for container services (set only when gaia.yml gives `docker:` or watches a container). */
  docker?: { socket: string };
  /** Where a unit's cgroup is read (set only when gaia.yml gives `systemd:` or watches a unit). */
  systemd?: { cgroupRoot: string };
  tasks: TaskConfig[];
  /** `digest`: the daily summary's cron time, and whether a quiet day is sent too. */
  digest?: { cron: string; always: boolean };
  /** `maintenance`: recurring silences (default none). */
  maintenance?: MaintenanceWindow[];
  alerts: { remindMs: number };
  approvals: { timeoutMs: number };
  /** `api.listen` split, and `api.allowRemote` (listening beyond loopback was asked for). */
  api: { host: string; port: number; allowRemote: boolean };
  github?: { identity: "pat" | "app"; repository?: string };
  rotation: { schedule: string; approval: "required" | "auto"; stores: StoreConfig[] };
  retention: { eventsMs: number; samplesMs: number };
  /** Copies of gaia.db: every `everyMs` (0: none), the newest `keep` kept, in `folder` (absolute). */
  backup: { everyMs: number; keep: number; folder: string };
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The environment after `.private/.env` and the process environment are merged and checked. */
export interface GaiaEnvironment {
  telegramBotToken?: Secret;
  telegramApiRoot: string;
  githubToken?: Secret;
  /** GITHUB_TOKEN came from the process environment (which wins over .private/.env, where rotation writes). */
  githubTokenFromProcess?: boolean;
  githubApp?: { appId: string; installationId: string; privateKeyFile: string };
  githubApiUrl: string;
  apiToken?: Secret;
  databaseUrl?: Secret;
  /** `DBUS_SYSTEM_BUS_ADDRESS`: the system bus, for unit services (default DEFAULT_SYSTEM_BUS_ADDRESS). */
  systemBusAddress?: string;
  /** `GAIA_HOST`: this host's name in a shared database (default: the machine's host name). */
  host?: string;
  logLevel: LogLevel;
  /**
   * Every variable read from .private/.env (for `gaia run` and log redaction). Each value is a
   * Secret, so that printing the environment never prints them.
   */
  dotenv: Readonly<Record<string, Secret>>;
}

/** Where gaia keeps its files, all absolute. */
export interface GaiaPaths {
  home: string;
  configFile: string;
  privateDir: string;
  envFile: string;
  apiTokenFile: string;
  database: string;
  tmpDir: string;
  pidFile: string;
  logDir: string;
  spoolDir: string;
}

export interface Config {
  paths: GaiaPaths;
  settings: GaiaConfig;
  env: GaiaEnvironment;
  /** True when gaia.yml was absent and defaults are in use (console mode on a fresh clone). */
  usingDefaults: boolean;
}
