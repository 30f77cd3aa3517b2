import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { Api, GrammyError } from "grammy";
import { loadConfig } from "../../config/load-config.js";
import { formatDuration } from "../../config/durations.js";
import type { Config } from "../../config/types.js";
import { openDatabase } from "../../entities/data-source.js";
import { databaseTarget, describeDatabase } from "../../config/database-target.js";
import { createProbe, unitProbeOptions } from "../../monitor/probe.js";
import type { UnitObservation } from "../../monitor/snapshot.js";
import { unitState } from "../../bot/render/status.js";
import { DEFAULT_SYSTEM_BUS_ADDRESS } from "../../config/types.js";
import { AppIdentity, appPermissions, PatIdentity } from "../../rotation/github-identity.js";
import { RotationFailed } from "../../rotation/rotation-errors.js";
import { leastPrivilegeWarnings } from "../../rotation/token-facts.js";
import { EXIT } from "../exit-codes.js";
import { writeLine, type CliIo } from "../io.js";
import { withConfigErrors } from "../report-config-error.js";

type CheckLine = { ok: boolean | "skip" | "warn"; text: string };

/**
 * `gaia check [--offline]`: validates the environment and gaia.yml (exit 2 when invalid), opens
 * gaia.db, probes once and shows what each service matched, then asks Telegram (`getMe`) and
 * GitHub who the tokens belong to. Exit 1 when any check failed.
 */
export async function checkCommand(io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...io.argv], options: { offline: { type: "boolean" } }, strict: true });
  return withConfigErrors(io.stderr, async () => {
    const config = loadConfig({ processEnv: io.processEnv, cwd: io.cwd });
    const lines: CheckLine[] = [{ ok: true, text: `config: ${config.paths.configFile} is valid (${config.settings.services.length} services, ${config.settings.tasks.length} tasks)` }];
    lines.push(await checkDatabase(config));
    lines.push(...(await probeOnce(config)));
    if (values.offline) {
      lines.push({ ok: "skip", text: "telegram: skipped (--offline)" });
      if (config.settings.github) lines.push({ ok: "skip", text: "github: skipped (--offline)" });
    } else {
      lines.push(await checkTelegram(config));
      if (config.settings.github) lines.push(...(await checkGithub(config)));
    }
    for (const line of lines) writeLine(io.stdout, `${line.ok === "skip" ? "-" : line.ok === "warn" ? "⚠" : line.ok ? "✓" : "✗"} ${line.text}`);
    const failed = lines.filter((l) => l.ok === false).length;
    writeLine(io.stdout, failed ? `\n${failed} check(s) failed.` : "\nAll checks passed.");
    return failed ? EXIT.failure : EXIT.ok;
  });
}

async function checkDatabase(config: Config): Promise<CheckLine> {
  const target = databaseTarget(config.paths, config.env);
  try {
    const { dataSource, applied } = await openDatabase(target);
    await dataSource.destroy();
    return { ok: true, text: `database: ${describeDatabase(target)} is ready${applied.length ? ` (applied ${applied.length} migration(s))` : ""}` };
  } catch (error) {
    return { ok: false, text: `database: cannot open ${describeDatabase(target)}: ${(error as Error).message}` };
  }
}

/**
 * One probe. A one-off lookup, so on hosts without /proc find-process's ps call is fine here; the
 * CPU figures of a single sample are averages since each process started.
 */
async function probeOnce(config: Config): Promise<CheckLine[]> {
  // A one-off: the probe waits for each endpoint and container check's answer (or deadline).
  const probe = createProbe({ homeDir: config.paths.home, services: config.settings.services, ...(config.settings.docker ? { dockerSocket: config.settings.docker.socket } : {}), ...unitProbeOptions(config), ...(config.settings.host.disks ? { disks: config.settings.host.disks } : {}), selfPid: process.pid, waitForChecks: true });
  const snapshot = await probe.sample();
  probe.close?.();
  const { host } = snapshot;
  const lines: CheckLine[] = [
    {
      ok: true,
      text: `host: CPU ${host.cpuPercent.toFixed(0)}% of all cores, memory ${host.memoryPercent.toFixed(0)}%, disk ${host.diskPercent.toFixed(0)}% (thresholds ${config.settings.host.cpu}/${config.settings.host.memory}/${config.settings.host.disk}%)`,
    },
  ];
  for (const service of snapshot.services) {
    const uptime = service.startedAt ? `, up ${formatDuration(snapshot.at.getTime() - service.startedAt.getTime())}` : "";
    const match = config.settings.services.find((s) => s.name === service.name)?.match;
    if (service.container && match?.kind === "container") {
      lines.push(containerCheckLine(service.name, match.container, service.container, config.settings.docker?.socket ?? "/var/run/docker.sock"));
      continue;
    }
    if (service.unit && match?.kind === "unit") {
      lines.push(unitCheckLine(service.name, match.unit, { ...service.unit, up: service.up, processCount: service.processCount }, config.env.systemBusAddress ?? DEFAULT_SYSTEM_BUS_ADDRESS));
      continue;
    }
    if (service.endpoint && (match?.kind === "http" || match?.kind === "tcp")) {
      const target = match.kind === "http" ? match.http.replace(/\/\/[^@/]*@/, "//…@") : match.tcp;
      const took = service.endpoint.responseMs !== undefined ? ` in ${Math.round(service.endpoint.responseMs)} ms` : "";
      const status = service.endpoint.statusCode !== undefined ? ` (HTTP ${service.endpoint.statusCode})` : "";
      lines.push(
        service.up
          ? { ok: true, text: `service ${service.name}: ${target} answered${took}${status}` }
          : { ok: false, text: `service ${service.name}: ${target} did not answer as expected (${service.endpoint.problem === "timeout" && service.endpoint.timeoutMs !== undefined ? `no answer within ${formatDuration(service.endpoint.timeoutMs)}` : (service.endpoint.problem ?? "no answer")})${status}` },
      );
      continue;
    }
    if (service.up && service.pids.length === 0 && match?.kind === "port") {
      lines.push({ ok: true, text: unattributedPort(service.name, match.port) });
      continue;
    }
    lines.push(
      service.up
        ? { ok: true, text: `service ${service.name}: ${service.processCount} process(es), pid ${service.pids.join(", ")}${uptime}` }
        : { ok: false, text: `service ${service.name}: no matching process (it would be reported down)` },
    );
  }
  return lines;
}

/**
 * A container service's line; when the socket cannot be opened, what to grant: the docker group
 * (root-equivalent), or a read-only socket proxy (restart then needs POST allowed too).
 */
export function containerCheckLine(name: string, container: string, seen: { state: string; exitCode?: number; problem?: string }, socket: string): CheckLine {
  if (seen.state === "unreachable") {
    const why =
      seen.problem === "EACCES"
        ? `gaia's user may not open ${socket}: add it to the docker group (sudo usermod -aG docker $USER, then log in again), or run a read-only socket proxy (e.g. tecnativa/docker-socket-proxy with CONTAINERS=1, and POST=1 for the Restart button) and set docker.socket to its socket`
        : seen.problem === "ENOENT"
          ? `no Docker socket at ${socket}: is Docker running? set docker.socket in gaia.yml if it lives elsewhere`
          : `Docker did not answer on ${socket} (${seen.problem ?? "error"})`;
    return { ok: false, text: `service ${name}: container ${container}: ${why}` };
  }
  if (seen.state === "running") return { ok: true, text: `service ${name}: container ${container} is running` };
  if (seen.state === "missing") return { ok: false, text: `service ${name}: Docker has no container named ${container} (it would be reported down)` };
  return { ok: false, text: `service ${name}: container ${container} is ${seen.state}${seen.exitCode !== undefined ? ` (exit code ${seen.exitCode})` : ""} (it would be reported down)` };
}

/**
 * A unit service's line; when systemd cannot be asked, what to do: start the bus, reach its
 * socket (from a container: mount it and set DBUS_SYSTEM_BUS_ADDRESS), or fix the bus policy.
 */
export function unitCheckLine(name: string, unit: string, seen: UnitObservation & { up: boolean; processCount: number }, address: string): CheckLine {
  const socket = /^unix:path=([^,;]+)/.exec(address)?.[1] ?? address;
  if (seen.activeState === "unknown") {
    const why =
      seen.problem === "ENOENT" || seen.problem === "ECONNREFUSED"
        ? `no system bus at ${socket}: on a host with systemd, is dbus running (systemctl status dbus)? In a container, mount the host's /run/dbus/system_bus_socket and set DBUS_SYSTEM_BUS_ADDRESS=unix:path=<where it is mounted>`
        : seen.problem === "EACCES" || seen.problem === "EPERM"
          ? `gaia's user may not open ${socket}: the system bus socket is srw-rw-rw- on a stock system; give gaia's user access to it (its mode, or the mount into the container)`
          : seen.problem === "AccessDenied"
            ? `the system bus's policy denies gaia's questions to systemd (stock policy lets every user read units): look for a <deny> of org.freedesktop.systemd1 under /etc/dbus-1/system.d/ or /usr/share/dbus-1/system.d/`
            : seen.problem === "ServiceUnknown" || seen.problem === "NameHasNoOwner"
              ? `systemd is not on the system bus at ${socket}: is this host (or the host whose bus this is) running systemd?`
              : seen.problem === "timeout"
                ? `systemd did not answer on ${socket} in time: is the bus or systemd hanging?`
                : `cannot ask systemd on ${socket} (${seen.problem ?? "error"})`;
    return { ok: false, text: `service ${name}: unit ${unit}: ${why}` };
  }
  if (seen.activeState === "missing") return { ok: false, text: `service ${name}: systemd has no unit named ${unit} (it would be reported down)` };
  const state = unitState(seen);
  if (!seen.up) return { ok: false, text: `service ${name}: unit ${unit} is ${state} (it would be reported down)` };
  const pid = seen.mainPid !== undefined ? `, main pid ${seen.mainPid}` : "";
  const processes = seen.processCount > 0 ? `, ${seen.processCount} process(es)` : "";
  return { ok: true, text: `service ${name}: unit ${unit} is ${state}${pid}${processes}` };
}

async function checkTelegram(config: Config): Promise<CheckLine> {
  const token = config.env.telegramBotToken;
  if (!token) return { ok: "skip", text: "telegram: no TELEGRAM_BOT_TOKEN (console mode only)" };
  try {
    const me = await new Api(token.reveal(), { apiRoot: config.env.telegramApiRoot }).getMe(AbortSignal.timeout(10_000) as Parameters<Api["getMe"]>[0]);
    return { ok: true, text: `telegram: token belongs to @${me.username}` };
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 401) {
      return { ok: false, text: "telegram: the token was refused (401); copy TELEGRAM_BOT_TOKEN again from @BotFather" };
    }
    return { ok: false, text: `telegram: cannot reach ${config.env.telegramApiRoot}: ${(error as Error).message}` };
  }
}

/**
 * Who the GitHub identity is, what its token may do and when it expires, with the
 * least-privilege warnings rotation would show (a warning does not fail the check).
 */
async function checkGithub(config: Config): Promise<CheckLine[]> {
  const github = config.settings.github!;
  const writesActionsSecret = config.settings.rotation.stores.some((s) => s.type === "github-actions");
  const needs = { ...(github.repository ? { repository: github.repository } : {}), writesActionsSecret };
  if (github.identity === "app") {
    if (!config.env.githubApp) {
      return [{ ok: false, text: "github: identity app needs GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY_FILE in .private/.env" }];
    }
    const permissions = appPermissions({ writesActionsSecret });
    const app = new AppIdentity(config.env.githubApiUrl, config.env.githubApp, github.repository, permissions);
    try {
      const login = await app.expectedLogin();
      const scope = Object.entries(permissions).map(([name, level]) => `${name}: ${level}`).join(", ");
      return [{ ok: true, text: `github: App ${login} (installation ${config.env.githubApp.installationId}) accepts gaia's key; its tokens get ${scope} on ${github.repository ?? "the installation's repositories"}` }];
    } catch (error) {
      return [{ ok: false, text: `github: ${(error as Error).message}` }];
    }
  }
  const token = config.env.githubToken;
  if (!token) return [{ ok: false, text: "github: identity pat needs GITHUB_TOKEN in .private/.env" }];
  try {
    const facts = await new PatIdentity(config.env.githubApiUrl).readFacts(token);
    const kind = facts.kind === "classic" ? `classic token, scopes ${facts.scopes?.join(", ") || "none"}` : facts.kind === "fine-grained" ? "fine-grained token" : "token";
    const expiry = facts.expiresAt ? `expires ${facts.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC` : "never expires";
    const warnings = leastPrivilegeWarnings(facts, needs, new Date());
    return [
      { ok: true, text: `github: GITHUB_TOKEN (${token.fingerprint}) belongs to ${facts.login}: ${kind}, ${expiry}` },
      ...warnings.map((warning): CheckLine => ({ ok: "warn", text: `github: ${warning}` })),
    ];
  } catch (error) {
    return error instanceof RotationFailed && error.code === "invalid-token"
      ? [{ ok: false, text: `github: GITHUB_TOKEN (${token.fingerprint}) was refused (401); it may be expired or revoked` }]
      : [{ ok: false, text: `github: ${(error as Error).message}` }];
  }
}

/**
 * A port that listens while its process stays hidden: the kernel shows a process's open sockets
 * (/proc/PID/fd) only to its owner, root or CAP_SYS_PTRACE. The service counts as up; its CPU and
 * memory cannot be measured. Says what to grant (deploy/README.md, README "Run it on a NAS").
 */
function unattributedPort(name: string, port: number): string {
  const who = process.getuid?.() === 0 ? "root" : `user ${userInfo().username}`;
  return (
    `service ${name}: port ${port} is listening, but gaia (running as ${who}) cannot see which process owns it, ` +
    `so its CPU and memory are not measured; reading another user's /proc/PID/fd needs root or CAP_SYS_PTRACE ` +
    `(systemd: AmbientCapabilities=CAP_SYS_PTRACE; Docker: cap_add: [SYS_PTRACE])`
  );
}
