/**
 * The data behind `/status`, `GET /v1/status` and `gaia status`: one plain, JSON-ready report
 * assembled from injected sources (the latest probe, gaia.db, the config), so that the bot, the
 * local API and the console all show the same thing.
 *
 * Durations are measured against the moment of the latest probe, not the clock: the report only
 * changes when something it shows changed, so a Refresh that finds nothing new can say so.
 */
import type { GaiaConfig } from "../config/types.js";
import type { HostFigures, Snapshot } from "../monitor/snapshot.js";
import { missedDeadline } from "../tasks/task-rules.js";
import { openMaintenance } from "../monitor/maintenance-windows.js";

/** The host as the latest probe saw it (as JSON: times are ISO strings), with the last hour for sparklines. */
export interface HostStatus extends Omit<HostFigures, "bootTime"> {
  bootTime: string;
  thresholds: { cpu: number; memory: number; disk: number };
  /** Averages of the samples of the hour before the probe, oldest first; null where none was kept. */
  lastHour: { bucketMinutes: number; cpu: (number | null)[]; memory: (number | null)[] };
}

/** One configured service. */
export interface ServiceStatus {
  name: string;
  /** `unknown` until the first probe. */
  state: "up" | "down" | "unknown";
  /** When its open down incident opened (null while down but not yet confirmed by `sustain`). */
  downSince: string | null;
  /** Until when its alerts (or all alerts) are muted. */
  mutedUntil: string | null;
  pids: number[];
  processCount: number;
  /** % of one core, summed over its processes. */
  cpuPercent: number | null;
  memoryBytes: number | null;
  memoryPercent: number | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  /**
   * http and tcp services: what the latest check saw (response time, HTTP status, why down, the
   * deadline it did not answer within, certificate expiry).
   */
  endpoint?: { responseMs: number | null; statusCode: number | null; problem: string | null; timeoutMs: number | null; certExpiresAt: string | null };
  /** container services: Docker's state (running, restarting, unhealthy, exited…), exit code, restarts. */
  container?: { state: string; exitCode: number | null; health: string | null; restartCount: number; problem: string | null; timeoutMs: number | null };
  /** unit services: systemd's state (active, failed, activating/auto-restart, inactive…), how its main process ended, its restarts. */
  unit?: { activeState: string; subState: string; loadState: string | null; type: string | null; result: string | null; mainPid: number | null; restarts: number; exitStatus: number | null; signal: number | null; problem: string | null };
  /**
   * http, tcp and container services, whose checks run in the background: when the check shown
   * completed (null before its first answer, or for other services).
   */
  checkedAt?: string | null;
}

/** One run of a task, as the status shows it. */
export interface TaskRunSummary {
  startedAt: string;
  endedAt: string | null;
  /** `running`, `succeeded`, `failed`, `timed-out` or `lost`. */
  status: string;
  exitCode: number | null;
  durationMs: number | null;
}

/** One configured task (a job started through `gaia run`). */
export interface TaskStatus {
  name: string;
  expectMs: number | null;
  lastRun: TaskRunSummary | null;
  lastSuccessAt: string | null;
  /** Last success's end (or when gaia first knew the task) + `expect`: when the next good run is due (null without `expect`). */
  nextExpectedAt: string | null;
  /** No success within `expect` + `grace` of the last success's end: the missed-run alert's rule. */
  overdue: boolean;
  mutedUntil: string | null;
}

/** An open incident. */
export interface IncidentStatus {
  id: number;
  subjectKind: string;
  subjectName: string;
  condition: string;
  openedAt: string;
  acknowledged: boolean;
  muted: boolean;
  figures: Record<string, unknown> | null;
}

/** A pending approval request. */
export interface ApprovalStatus {
  id: string;
  title: string;
  requester: string | null;
  createdAt: string;
  expiresAt: string;
}

/** Everything `/status` shows. */
export interface StatusReport {
  /** When the host and service figures were measured; null before the first probe. */
  measuredAt: string | null;
  hostname: string;
  host: HostStatus | null;
  services: ServiceStatus[];
  tasks: TaskStatus[];
  incidents: IncidentStatus[];
  approvals: ApprovalStatus[];
  mutes: { subject: string; until: string; mutedBy: string }[];
  /** Maintenance windows open now (`maintenance:`): the services they silence, and until when. */
  maintenance?: { services: string[]; until: string }[];
  heartbeat: { last: string | null; everyMs: number };
  /** The next scheduled rotation; null when rotation is not configured. */
  rotation: { next: string | null; tokenExpiresAt?: string } | null;
  probeEveryMs: number;
}

/** A kept probe figure of the host (the `samples` table). */
export interface HostSample {
  at: Date;
  cpu: number | null;
  memory: number | null;
}

/** The rows of a task's runs that the status needs. */
export interface TaskRunFacts {
  startedAt: Date;
  endedAt: Date | null;
  status: string;
  exitCode: number | null;
  durationMs: number | null;
}

/** Where the report's data comes from; injected so that assembly stays a plain function. */
export interface StatusSources {
  /** The newest probe; may wait briefly for the first one after start. */
  latestSnapshot(): Promise<Snapshot | undefined>;
  hostSamples(since: Date, until: Date): Promise<HostSample[]>;
  openIncidents(): Promise<
    { id: number; subjectKind: string; subjectName: string; condition: string; openedAt: Date; acknowledgedAt: Date | null; muted: boolean; figures: Record<string, unknown> | null }[]
  >;
  pendingApprovals(now: Date): Promise<{ id: string; title: string; requester: string | null; createdAt: Date; expiresAt: Date }[]>;
  activeMutes(now: Date): Promise<{ subject: string; until: Date; mutedBy: string }[]>;
  /**
   * The newest run of a task, its newest successful run, and when the monitor first knew the task
   * (the missed-run clock's start before any good run).
   */
  taskRuns(task: string): Promise<{ last?: TaskRunFacts; lastSuccess?: TaskRunFacts; firstKnownAt?: Date }>;
  lastHeartbeat(): Promise<string | undefined>;
  /** The next scheduled rotation after `now`; undefined when rotation is off. */
  nextRotation(now: Date): Date | undefined;
  /** When the current GitHub token expires, when known. */
  tokenExpiresAt?(): Date | undefined;
  hostname(): string;
}

const HOUR_MS = 60 * 60 * 1000;
const SPARKLINE_BUCKETS = 12;

/**
 * Assembles the status report: the latest probe's figures, each service's state (down since its
 * open incident, muted by its own mute or `all`), each task's last run and next expected run, the
 * open incidents, the pending approvals, the last heartbeat and the next rotation.
 */
export async function collectStatusReport(sources: StatusSources, settings: GaiaConfig, now: Date): Promise<StatusReport> {
  const snapshot = await sources.latestSnapshot();
  const measuredAt = snapshot?.at ?? null;
  const [samples, incidents, approvals, mutes, lastHeartbeat, runs] = await Promise.all([
    measuredAt ? sources.hostSamples(new Date(measuredAt.getTime() - HOUR_MS), measuredAt) : Promise.resolve([]),
    sources.openIncidents(),
    sources.pendingApprovals(now),
    sources.activeMutes(now),
    sources.lastHeartbeat(),
    Promise.all(settings.tasks.map((task) => sources.taskRuns(task.name))),
  ]);

  const muteOf = (name: string): string | null => {
    const own = mutes.find((m) => m.subject === name);
    const all = mutes.find((m) => m.subject === "all");
    const until = [own?.until, all?.until].filter((d): d is Date => d !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
    return until ? until.toISOString() : null;
  };
  const downIncident = (name: string) =>
    incidents.find((i) => i.subjectKind === "service" && i.subjectName === name && i.condition === "down");

  const services: ServiceStatus[] = settings.services.map(({ name }) => {
    const seen = snapshot?.services.find((s) => s.name === name);
    // A check that has not answered yet since start says nothing either way, like no probe yet.
    const state = !seen || seen.unchecked ? "unknown" : seen.up ? "up" : "down";
    return {
      name,
      state,
      downSince: state === "down" ? (downIncident(name)?.openedAt.toISOString() ?? null) : null,
      mutedUntil: muteOf(name),
      pids: seen?.pids ?? [],
      processCount: seen?.processCount ?? 0,
      cpuPercent: seen?.up ? seen.cpuPercent : null,
      memoryBytes: seen?.up ? seen.memoryBytes : null,
      memoryPercent: seen?.up ? seen.memoryPercent : null,
      startedAt: seen?.startedAt?.toISOString() ?? null,
      uptimeSeconds: seen?.startedAt && measuredAt ? Math.max(0, Math.floor((measuredAt.getTime() - seen.startedAt.getTime()) / 1000)) : null,
      ...(seen?.unit
        ? {
            unit: {
              activeState: seen.unit.activeState,
              subState: seen.unit.subState,
              loadState: seen.unit.loadState ?? null,
              type: seen.unit.type ?? null,
              result: seen.unit.result ?? null,
              mainPid: seen.unit.mainPid ?? null,
              restarts: seen.unit.restarts,
              exitStatus: seen.unit.exitStatus ?? null,
              signal: seen.unit.signal ?? null,
              problem: seen.unit.problem ?? null,
            },
          }
        : {}),
      ...(seen?.container
        ? {
            container: {
              state: seen.container.state,
              exitCode: seen.container.exitCode ?? null,
              health: seen.container.health ?? null,
              restartCount: seen.container.restartCount,
              problem: seen.container.problem ?? null,
              timeoutMs: seen.container.timeoutMs ?? null,
            },
          }
        : {}),
      ...(seen?.endpoint
        ? {
            endpoint: {
              responseMs: seen.endpoint.responseMs ?? null,
              statusCode: seen.endpoint.statusCode ?? null,
              problem: seen.endpoint.problem ?? null,
              timeoutMs: seen.endpoint.timeoutMs ?? null,
              certExpiresAt: seen.endpoint.certExpiresAt?.toISOString() ?? null,
            },
          }
        : {}),
      ...(seen && (seen.endpoint || seen.container || seen.unit || seen.unchecked) ? { checkedAt: seen.checkedAt?.toISOString() ?? null } : {}),
    };
  });

  const tasks: TaskStatus[] = settings.tasks.map((task, i) => {
    const { last, lastSuccess, firstKnownAt } = runs[i];
    const expectMs = task.expectMs ?? null;
    // The missed-run alert's own rule (last success's end, or since gaia first knew the task, +
    // expect + grace), so that /status never says overdue before the alert does, nor the other way round.
    const successEnd = lastSuccess?.endedAt ?? null;
    const since = successEnd ?? firstKnownAt;
    const deadline = since ? missedDeadline({ task, firstKnownAt: since, ...(successEnd ? { lastSuccess: { endedAt: successEnd } } : {}) }) : undefined;
    const nextExpected = deadline && expectMs !== null ? new Date(deadline.getTime() - (task.graceMs ?? 0)) : null;
    const overdue = deadline !== undefined && now.getTime() > deadline.getTime();
    return {
      name: task.name,
      expectMs,
      lastRun: last
        ? {
            startedAt: last.startedAt.toISOString(),
            endedAt: last.endedAt?.toISOString() ?? null,
            status: last.status,
            exitCode: last.exitCode,
            durationMs: last.durationMs,
          }
        : null,
      lastSuccessAt: lastSuccess?.startedAt.toISOString() ?? null,
      nextExpectedAt: nextExpected?.toISOString() ?? null,
      overdue,
      mutedUntil: muteOf(task.name),
    };
  });

  const rotationOn = settings.github !== undefined;
  return {
    measuredAt: measuredAt?.toISOString() ?? null,
    hostname: sources.hostname(),
    host: snapshot ? hostStatus(snapshot, settings, samples) : null,
    services,
    tasks,
    incidents: incidents
      .slice()
      .sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime() || b.id - a.id)
      .map((i) => ({
        id: i.id,
        subjectKind: i.subjectKind,
        subjectName: i.subjectName,
        condition: i.condition,
        openedAt: i.openedAt.toISOString(),
        acknowledged: i.acknowledgedAt !== null,
        muted: i.muted,
        figures: i.figures,
      })),
    approvals: approvals
      .slice()
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((a) => ({ id: a.id, title: a.title, requester: a.requester, createdAt: a.createdAt.toISOString(), expiresAt: a.expiresAt.toISOString() })),
    mutes: mutes.map((m) => ({ subject: m.subject, until: m.until.toISOString(), mutedBy: m.mutedBy })),
    maintenance: openMaintenance(settings.maintenance ?? [], now).map((w) => ({ services: [...w.services], until: w.until.toISOString() })),
    heartbeat: { last: lastHeartbeat ?? null, everyMs: settings.heartbeat.everyMs },
    rotation: rotationOn ? rotationStatus(sources, now) : null,
    probeEveryMs: settings.probe.everyMs,
  };
}

function hostStatus(snapshot: Snapshot, settings: GaiaConfig, samples: HostSample[]): HostStatus {
  const { host } = snapshot;
  const window = { end: snapshot.at, windowMs: HOUR_MS, buckets: SPARKLINE_BUCKETS };
  return {
    cpuPercent: host.cpuPercent,
    memoryPercent: host.memoryPercent,
    memoryUsedBytes: host.memoryUsedBytes,
    memoryTotalBytes: host.memoryTotalBytes,
    diskPercent: host.diskPercent,
    diskUsedBytes: host.diskUsedBytes,
    diskTotalBytes: host.diskTotalBytes,
    // Listed disks (host.disks) each get a line; without a list the home folder's disk is the one above.
    ...(settings.host.disks && host.disks ? { disks: host.disks } : {}),
    load: host.load,
    uptimeSeconds: host.uptimeSeconds,
    bootTime: host.bootTime.toISOString(),
    thresholds: { cpu: settings.host.cpu, memory: settings.host.memory, disk: settings.host.disk },
    lastHour: {
      bucketMinutes: HOUR_MS / SPARKLINE_BUCKETS / 60_000,
      cpu: bucketAverages(samples.map((s) => ({ at: s.at, value: s.cpu })), window),
      memory: bucketAverages(samples.map((s) => ({ at: s.at, value: s.memory })), window),
    },
  };
}

/**
 * Averages timed values into `buckets` equal slices of the window that ends at `end`, oldest
 * first; a slice without values is null.
 */
export function bucketAverages(
  points: readonly { at: Date; value: number | null }[],
  options: { end: Date; windowMs: number; buckets: number },
): (number | null)[] {
  const sums = new Array<number>(options.buckets).fill(0);
  const counts = new Array<number>(options.buckets).fill(0);
  const start = options.end.getTime() - options.windowMs;
  const width = options.windowMs / options.buckets;
  for (const point of points) {
    if (point.value === null || !Number.isFinite(point.value)) continue;
    const offset = point.at.getTime() - start;
    if (offset < 0 || offset > options.windowMs) continue;
    const index = Math.min(options.buckets - 1, Math.floor(offset / width));
    sums[index] += point.value;
    counts[index]++;
  }
  return sums.map((sum, i) => (counts[i] ? sum / counts[i] : null));
}

/** The next rotation, and the current GitHub token's expiry when it is known. */
function rotationStatus(sources: StatusSources, now: Date): { next: string | null; tokenExpiresAt?: string } {
  const expiresAt = sources.tokenExpiresAt?.();
  return { next: sources.nextRotation(now)?.toISOString() ?? null, ...(expiresAt ? { tokenExpiresAt: expiresAt.toISOString() } : {}) };
}
