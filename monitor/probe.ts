/**
 * The probe: the services' processes plus the host figures per cycle, turned into a Snapshot
 * for the rules, /status and /top. On Linux a cycle starts no child process at all.
 *
 * Most cycles are fast: while every watched process is still the one the last full scan found
 * (same pid and start time), only their /proc/<pid>/stat files are read (known-processes.ts says
 * when a full scan of /proc is needed). /top and alerts that list the busiest processes read the
 * whole table when they ask for it.
 *
 * Endpoint and container checks answer over the network, so they never hold a cycle up: each runs
 * in the background on its own schedule and deadline (background-checks.ts), and a cycle reads the
 * latest completed result of each.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createRedactor, type Redact } from "../config/redact.js";
import { type Config, CONTAINER_CHECK_TIMEOUT_MS, DEFAULT_CGROUP_ROOT, DEFAULT_SYSTEM_BUS_ADDRESS, type ServiceConfig, UNIT_CHECK_TIMEOUT_MS } from "../config/types.js";
import {
  hostCpuPercent,
  type HostCpuTimes,
  parseHostCpuTimes,
  portableHostCpuTimes,
  processCpuPercentsSince,
  type ProcessReading,
} from "./cpu-usage.js";
import { BackgroundChecks, type CheckReading, type CheckTimers, realTimers } from "./background-checks.js";
import { checkEndpoint, isEndpointMatch } from "./endpoint-checks.js";
import type { ContainerCheck, ContainerChecker } from "./container-checks.js";
import type { UnitChecker, UnitStateCheck } from "./unit-checks.js";
import { type UnitFigures, UnitCgroups } from "./unit-cgroup.js";
import { readDisks } from "./disk-figures.js";
import { readHostFigures } from "./host-figures.js";
import { matchServices } from "./match-services.js";
import { KnownProcesses } from "./known-processes.js";
import { pidFileWrittenAt, readPidFile } from "./pid-file.js";
import { createPortOwnerFinder, type PortListeners } from "./port-owners.js";
import { PORTABLE_SPAWNS_PER_SNAPSHOT, readPortableProcessTable } from "./portable-process-table.js";
import { detectPageSize, type ProcessTable, readCommandLine, readProcesses, readProcessTable } from "./process-table.js";
import { serviceUsage } from "./service-usage.js";
import type { EndpointResult, ProcessSample, ServiceObservation, Snapshot, TopProcessesOrder } from "./snapshot.js";

/** How often the background checks run when the probe is not told its period (`probe.every`'s default). */
const DEFAULT_CHECK_EVERY_MS = 15_000;

/** What a probe needs; everything it touches on the host is named here. */
export interface ProbeOptions {
  /** Where procfs is mounted; default "/proc". Without a `stat` file in it, the portable path is used. */
  procRoot?: string;
  /** The home folder: its filesystem is the one whose disk use is reported. */
  homeDir: string;
  services: readonly ServiceConfig[];
  /** The Docker Engine API's socket, for container services (default /var/run/docker.sock). */
  dockerSocket?: string;
  /** The system bus, for unit services (default unix:path=/var/run/dbus/system_bus_socket). */
  systemBusAddress?: string;
  /** Where the cgroup filesystem is mounted, for unit services (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** `host.disks`: mount points watched; undefined watches the home folder's filesystem. */
  disks?: readonly string[];
  /** Gaia's own pid, never matched as a service process. */
  selfPid: number;
  /** Clock, ms since the epoch; default Date.now. */
  now?: () => number;
  /** How often each endpoint and container check runs in the background: `probe.every` (default 15 s). */
  checkEveryMs?: number;
  /** The background checks' clock and timers (tests); default Node's, unref'd. */
  checkTimers?: CheckTimers;
  /**
   * A one-off probe (`gaia check`): each sample runs every endpoint and container check once and
   * waits for its answer or deadline. The monitor's probe never waits for a check.
   */
  waitForChecks?: boolean;
  /** Force the ps-based path (tests, or a /proc that is mounted but unusable). */
  portable?: boolean;
  /**
   * Read the whole process table every cycle, never the fast path: the /top probe, whose CPU
   * figures must cover exactly the interval between two of its samples.
   */
  wholeTable?: boolean;
  /**
   * The redactor for names and command lines handed out by `topProcesses` (alerts and /top show
   * them, gaia.db stores them); default: the patterns only, without the known secret values.
   */
  redact?: Redact;
}

/** Work the probe has done since it was created, for the benchmark and for /status. */
export interface ProbeStats {
  /**
   * Full scans of the process table (listing /proc, every process's stat file): one per cycle that
   * needs it (see known-processes.ts), plus one when a fast cycle's snapshot is asked for its
   * busiest processes.
   */
  scans: number;
  /** Fast cycles: only the watched processes' stat files read, no listing of /proc. */
  fastCycles: number;
  /** Child processes started to take full scans: 0 on Linux, 2 per scan on the portable path. */
  spawns: number;
  /** Full scans of every process's file descriptors to find port owners (only with port services). */
  fdScans: number;
}

/** A probe keeps the previous snapshot, so CPU figures cover the time between two samples. */
export interface Probe {
  /** Takes one snapshot of the host and the services; the first one starts the background checks. */
  sample(): Promise<Snapshot>;
  readonly stats: ProbeStats;
  /** Lets go of what the probe keeps open between cycles (the system bus connection of unit services). */
  close?(): void;
}

/** The options for unit services that the configuration gives: the system bus (environment) and the cgroup root (gaia.yml). */
export function unitProbeOptions(config: Config): Pick<ProbeOptions, "systemBusAddress" | "cgroupRoot"> {
  return {
    ...(config.env.systemBusAddress ? { systemBusAddress: config.env.systemBusAddress } : {}),
    ...(config.settings.systemd ? { cgroupRoot: config.settings.systemd.cgroupRoot } : {}),
  };
}

/** The probe createProbe makes: its endpoint and container checks run in the background until stopped. */
export interface CheckingProbe extends Probe {
  /** Stops the background checks (a run in flight ends by its deadline) and closes the system bus connection of unit services. */
  close(): void;
  /** The background checks' work, for tests and the benchmark: runs started, and runs skipped because one was still in flight. */
  readonly checkStats: { runs: number; skipped: number };
}

/**
 * Creates a probe. The first sample's CPU figures are averages since boot (host) and since each
 * process started; from the second on, they cover the interval since the previous sample.
 */
export function createProbe(options: ProbeOptions): CheckingProbe {
  const procRoot = options.procRoot ?? "/proc";
  const now = options.now ?? Date.now;
  const onProc = !options.portable && existsSync(join(procRoot, "stat"));
  const pageSize = onProc ? detectPageSize(procRoot) : undefined;
  const services = options.services;
  const ports = services.flatMap((s) => (s.match.kind === "port" ? [s.match.port] : []));
  // Only built when some service matches by port: the fd scan is the costly part of a probe.
  const portOwners = ports.length > 0 && onProc ? createPortOwnerFinder(procRoot) : undefined;
  const checkEveryMs = options.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
  const checkTimers = options.checkTimers ?? realTimers;
  const endpointChecks = new BackgroundChecks<EndpointResult>(
    services.flatMap((s) => (isEndpointMatch(s.match) ? [{ name: s.name, deadlineMs: s.match.timeoutMs, run: checkEndpoint.bind(undefined, s.match, now) }] : [])),
    checkEveryMs,
    checkTimers,
  );
  // The Docker client is loaded by the first container check, never for hosts without containers.
  let containerChecker: Promise<ContainerChecker> | undefined;
  const checkContainer = (name: string, container: string) => {
    containerChecker ??= import("./container-checks.js").then((m) => m.createContainerChecker(options.dockerSocket ?? "/var/run/docker.sock", CONTAINER_CHECK_TIMEOUT_MS));
    return containerChecker.then((checker) => checker.checkOne(name, container));
  };
  const containerChecks = new BackgroundChecks<ContainerCheck>(
    services.flatMap((s) => (s.match.kind === "container" ? [{ name: s.name, deadlineMs: CONTAINER_CHECK_TIMEOUT_MS, run: checkContainer.bind(undefined, s.name, s.match.container) }] : [])),
    checkEveryMs,
    checkTimers,
  );
  // Likewise the D-Bus client: loaded by the first unit check. systemd's side of a unit runs in the
  // background; its cgroup (files, no waiting) is read in the cycle.
  let unitChecker: Promise<UnitChecker> | undefined;
  const checkUnit = (unit: string) => {
    unitChecker ??= import("./unit-checks.js").then((m) => m.createUnitChecker({ busAddress: options.systemBusAddress ?? DEFAULT_SYSTEM_BUS_ADDRESS }));
    return unitChecker.then((checker) => checker.checkOne(unit));
  };
  const unitChecks = new BackgroundChecks<UnitStateCheck>(
    services.flatMap((s) => (s.match.kind === "unit" ? [{ name: s.name, deadlineMs: UNIT_CHECK_TIMEOUT_MS, run: checkUnit.bind(undefined, s.match.unit) }] : [])),
    checkEveryMs,
    checkTimers,
  );
  const unitCgroups = new UnitCgroups(options.cgroupRoot ?? DEFAULT_CGROUP_ROOT, now);
  const stats: ProbeStats = { scans: 0, fastCycles: 0, spawns: 0, fdScans: 0 };
  const redact = options.redact ?? createRedactor();
  // A port's owners are found through every process's file descriptors, so with a port service
  // every cycle needs the whole table; so does the portable path (ps lists everything anyway).
  const fastPathAllowed = onProc && !options.wholeTable && ports.length === 0;
  // Pidfiles are read through here, so that a full scan records what they said for the fast path.
  const pidFilesRead = new Map<string, { pid: number | undefined; writtenAt: number | undefined }>();
  const known = new KnownProcesses(services, { readPidFile, pidFileWrittenAt });
  // Each process's last reading, for CPU % since then: all of them after a full scan, the watched
  // ones refreshed by each fast cycle.
  let lastReadings = new Map<number, ProcessReading>();
  let previousTable: ProcessTable | undefined;
  let previousCpu: HostCpuTimes | undefined;

  async function takeTable(takenAt: number): Promise<ProcessTable> {
    stats.scans++;
    if (onProc) return readProcessTable(procRoot, { takenAt, pageSize });
    stats.spawns += PORTABLE_SPAWNS_PER_SNAPSHOT;
    return readPortableProcessTable({ takenAt, previous: previousTable });
  }

  /** CPU % of each process of `table` since its last reading; then `table` becomes the last readings. */
  function cpuPercentsOf(table: ProcessTable, whole: boolean): Map<number, number> {
    const percents = processCpuPercentsSince((pid) => lastReadings.get(pid), table);
    // After a full read, processes not in it are gone: their readings go with them.
    if (whole) lastReadings = new Map();
    for (const [pid, info] of table.processes) lastReadings.set(pid, { info, takenAt: table.takenAt });
    if (whole) previousTable = table;
    return percents;
  }

  async function sample(): Promise<Snapshot> {
    if (options.waitForChecks) await Promise.all([endpointChecks.runOnce(), containerChecks.runOnce(), unitChecks.runOnce()]);
    else {
      endpointChecks.start();
      containerChecks.start();
      unitChecks.start();
    }
    const takenAt = now();
    // The fast path: only the known processes' stat files, when they are all still there as they were.
    const fastPids = fastPathAllowed ? known.fastPids(takenAt) : undefined;
    let fastTable = fastPids ? readProcesses(procRoot, fastPids, { takenAt, pageSize }) : undefined;
    const fastMatched = fastTable ? known.matchedIn(fastTable) : undefined;
    if (fastMatched === undefined) fastTable = undefined;
    const table = fastTable ?? (await takeTable(takenAt));
    const whole = fastTable === undefined;
    if (!whole) stats.fastCycles++;
    // /proc/stat is read once and serves both the host CPU times and the boot time.
    const procStat = onProc ? readFileSync(join(procRoot, "stat"), "latin1") : undefined;
    const cpuTimes = procStat !== undefined ? parseHostCpuTimes(procStat) : portableHostCpuTimes();
    const cpuPercents = cpuPercentsOf(table, whole);
    const host = readHostFigures({
      procRoot: onProc ? procRoot : undefined,
      procStat,
      diskPath: options.homeDir,
      cpuPercent: hostCpuPercent(previousCpu, cpuTimes),
      takenAt,
    });
    host.disks = readDisks({
      disks: options.disks,
      homeDir: options.homeDir,
      homeUsage: { percent: host.diskPercent, usedBytes: host.diskUsedBytes, totalBytes: host.diskTotalBytes },
      ...(onProc ? { mountinfoFile: join(procRoot, "self", "mountinfo") } : {}),
    });
    previousCpu = cpuTimes;

    // Command lines are read at most once per process per snapshot, and only when asked for.
    const commandLines = new Map<number, string>();
    const commandLine = (pid: number): string => {
      let line = commandLines.get(pid);
      if (line === undefined) {
        line = table.processes.get(pid)?.commandLine ?? (onProc ? readCommandLine(pid, procRoot) : "");
        commandLines.set(pid, line);
      }
      return line;
    };
    const listeners = portOwners?.findListeners(ports, table);
    stats.fdScans = portOwners?.stats.fdScans ?? 0;
    const noListener: PortListeners = { listening: false, pids: [] };

    let matched = fastMatched;
    if (matched === undefined) {
      pidFilesRead.clear();
      const pidFile = (path: string) => pidFilesRead.get(path) ?? pidFilesRead.set(path, { pid: readPidFile(path), writtenAt: pidFileWrittenAt(path) }).get(path)!;
      matched = matchServices(services, table, {
        selfPid: options.selfPid,
        commandLine,
        readPidFile: (path) => pidFile(path).pid,
        pidFileWrittenAt: (path) => pidFile(path).writtenAt,
        portListeners: (port) => listeners?.get(port) ?? noListener,
      });
      if (fastPathAllowed) known.remember(matched, table, pidFilesRead);
    }
    // Each unit's cgroup as its latest check named it, read now.
    const unitReadings = new Map<string, { reading: CheckReading<UnitStateCheck>; figures?: UnitFigures }>();
    for (const service of services) {
      const reading = unitChecks.read(service.name);
      if (!reading) continue;
      if (reading.kind === "result") unitReadings.set(service.name, { reading, figures: unitCgroups.figures(service.name, reading.result) });
      else {
        unitCgroups.forget(service.name);
        unitReadings.set(service.name, { reading });
      }
    }
    // On cgroup v1 a unit's figures are its processes' own: those a fast cycle did not read are read now.
    let unitTable = table;
    let unitCpuPercents = cpuPercents;
    const unitPidsToRead = onProc ? [...unitReadings.values()].flatMap(({ figures }) => (figures && figures.memoryBytes === undefined ? figures.pids.filter((pid) => !table.processes.has(pid)) : [])) : [];
    if (unitPidsToRead.length > 0) {
      const extra = readProcesses(procRoot, unitPidsToRead, { takenAt, pageSize });
      unitTable = { ...table, processes: new Map([...table.processes, ...extra.processes]) };
      unitCpuPercents = new Map([...cpuPercents, ...cpuPercentsOf(extra, false)]);
    }
    const observations: ServiceObservation[] = matched.map((m) => {
      const container = containerChecks.read(m.name);
      if (container) return containerObservation(m.name, container, host.memoryTotalBytes);
      const unit = unitReadings.get(m.name);
      if (unit) {
        const { reading, figures } = unit;
        if (reading.kind === "unchecked") return uncheckedObservation(m.name);
        const checkedAt = reading.completedAt !== undefined ? { checkedAt: new Date(reading.completedAt) } : {};
        if (reading.kind === "no-answer" || !figures) {
          const restarts = reading.result?.unit.restarts ?? 0;
          // Past the check's deadline without an answer: down, the reason systemd's silence.
          return { name: m.name, up: false, pids: [], processCount: 0, cpuPercent: 0, memoryBytes: 0, memoryPercent: 0, unit: { activeState: "unknown", subState: "unknown", restarts, problem: "timeout" }, ...checkedAt };
        }
        const state = reading.result;
        const usage = serviceUsage(figures.pids, unitTable, unitCpuPercents, host.memoryTotalBytes, host.bootTime);
        const memoryBytes = figures.memoryBytes ?? usage.memoryBytes;
        const startedAt = state.startedAt ?? (state.up ? usage.startedAt : undefined);
        return {
          name: m.name,
          up: state.up,
          pids: figures.pids,
          processCount: figures.pids.length,
          cpuPercent: figures.cpuPercent ?? usage.cpuPercent,
          memoryBytes,
          memoryPercent: host.memoryTotalBytes > 0 ? (memoryBytes / host.memoryTotalBytes) * 100 : 0,
          ...(startedAt ? { startedAt } : {}),
          unit: state.unit,
          ...checkedAt,
        };
      }
      const endpoint = endpointChecks.read(m.name);
      if (endpoint) return endpointObservation(m.name, endpoint);
      return {
        name: m.name,
        up: m.up,
        pids: m.pids,
        processCount: m.processCount,
        ...serviceUsage(m.pids, table, cpuPercents, host.memoryTotalBytes, host.bootTime),
      };
    });

    // A fast cycle read only the watched processes: the whole table is read when first asked for,
    // each process's CPU % then covering the time since its own last reading.
    let wholeTable: { table: ProcessTable; cpuPercents: Map<number, number> } | undefined = whole ? { table, cpuPercents } : undefined;
    const readWholeTable = () => {
      if (wholeTable === undefined) {
        const lateTable = readProcessTable(procRoot, { takenAt: now(), pageSize });
        stats.scans++;
        wholeTable = { table: lateTable, cpuPercents: cpuPercentsOf(lateTable, true) };
      }
      return wholeTable;
    };

    function topProcesses(by: TopProcessesOrder, n: number): ProcessSample[] {
      const { table: all, cpuPercents: percents } = readWholeTable();
      const rows = [...all.processes.values()].map((info) => ({
        info,
        cpuPercent: percents.get(info.pid) ?? 0,
      }));
      rows.sort((a, b) =>
        by === "cpu"
          ? b.cpuPercent - a.cpuPercent || b.info.rssBytes - a.info.rssBytes || a.info.pid - b.info.pid
          : b.info.rssBytes - a.info.rssBytes || b.cpuPercent - a.cpuPercent || a.info.pid - b.info.pid,
      );
      // Redacted here, where command lines leave the probe: matching above needs them whole.
      return rows.slice(0, Math.max(0, n)).map(({ info, cpuPercent }) => ({
        pid: info.pid,
        name: redact(info.name),
        commandLine: redact(info.commandLine ?? commandLine(info.pid)),
        cpuPercent,
        memoryBytes: info.rssBytes,
        memoryPercent: host.memoryTotalBytes > 0 ? (info.rssBytes / host.memoryTotalBytes) * 100 : 0,
      }));
    }

    return { at: new Date(takenAt), host, services: observations, topProcesses };
  }

  return {
    sample,
    stats,
    close() {
      endpointChecks.stop();
      containerChecks.stop();
      unitChecks.stop();
      void unitChecker?.then((checker) => checker.close());
    },
    get checkStats() {
      const all = [endpointChecks, containerChecks, unitChecks];
      return { runs: all.reduce((n, c) => n + c.stats.runs, 0), skipped: all.reduce((n, c) => n + c.stats.skipped, 0) };
    },
  };
}

/** An observation that says nothing yet: its check has neither answered nor passed its deadline. */
function uncheckedObservation(name: string): ServiceObservation {
  return { name, up: false, pids: [], processCount: 0, cpuPercent: 0, memoryBytes: 0, memoryPercent: 0, unchecked: true };
}

/** An endpoint service as its latest check saw it; past the deadline without an answer, down with it as the reason. */
function endpointObservation(name: string, reading: CheckReading<EndpointResult>): ServiceObservation {
  if (reading.kind === "unchecked") return uncheckedObservation(name);
  const endpoint: EndpointResult =
    reading.kind === "result"
      ? reading.result
      : // A certificate seen before still has its expiry: the certificate rule keeps watching it.
        { up: false, problem: "timeout", timeoutMs: reading.deadlineMs, ...(reading.result?.certExpiresAt ? { certExpiresAt: reading.result.certExpiresAt } : {}) };
  return {
    name,
    up: endpoint.up,
    pids: [],
    processCount: 0,
    cpuPercent: 0,
    memoryBytes: 0,
    memoryPercent: 0,
    endpoint,
    ...(reading.completedAt !== undefined ? { checkedAt: new Date(reading.completedAt) } : {}),
  };
}

/** A container service as its latest check saw it; past the deadline without an answer, Docker unreachable (ETIMEDOUT). */
function containerObservation(name: string, reading: CheckReading<ContainerCheck>, memoryTotalBytes: number): ServiceObservation {
  if (reading.kind === "unchecked") return uncheckedObservation(name);
  const checkedAt = reading.completedAt !== undefined ? { checkedAt: new Date(reading.completedAt) } : {};
  if (reading.kind === "no-answer") {
    return {
      name,
      up: false,
      pids: [],
      processCount: 0,
      cpuPercent: 0,
      memoryBytes: 0,
      memoryPercent: 0,
      container: { state: "unreachable", restartCount: reading.result?.container.restartCount ?? 0, problem: "ETIMEDOUT", timeoutMs: reading.deadlineMs },
      ...checkedAt,
    };
  }
  const container = reading.result;
  const { memoryBytes } = container;
  return {
    name,
    up: container.up,
    pids: [],
    processCount: 0,
    cpuPercent: container.cpuPercent,
    memoryBytes,
    memoryPercent: memoryTotalBytes > 0 ? (memoryBytes / memoryTotalBytes) * 100 : 0,
    ...(container.startedAt ? { startedAt: container.startedAt } : {}),
    container: container.container,
    ...checkedAt,
  };
}
