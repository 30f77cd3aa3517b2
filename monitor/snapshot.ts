/**
 * What one probe cycle observed: host figures, each configured service, and the process table
 * behind them (for /top). Rules, /status, /top, metrics and the samples table build on these types,
 * so they hold plain numbers and dates only: no handles back into the probe.
 */

/** One watched disk (`host.disks`, or the home folder's filesystem). */
export interface DiskFigures {
  /** The path as listed in gaia.yml (or the home folder). */
  path: string;
  /** The mount point it is (listed disks) or lies on (the home folder). */
  mountPoint: string;
  /** A listed path that is gone or no longer its own mount point is false, with zero figures. */
  mounted: boolean;
  /** % used, computed like df. */
  percent: number;
  usedBytes: number;
  totalBytes: number;
}

/** How the host as a whole is doing at the moment of the snapshot. */
export interface HostFigures {
  /** % of ALL cores busy since the previous snapshot (0-100), like the "%Cpu" line of top. */
  cpuPercent: number;
  /** (total - available) / total, 0-100: "available" counts reclaimable cache as free, like free(1). */
  memoryPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  /** % used of the filesystem holding the home folder, computed like df (used / (used + available to users)). */
  diskPercent: number;
  diskUsedBytes: number;
  diskTotalBytes: number;
  /** Each watched disk (`host.disks`, default the home folder's filesystem); absent in hand-made snapshots. */
  disks?: DiskFigures[];
  /** 1, 5 and 15 minute load averages. */
  load: [number, number, number];
  uptimeSeconds: number;
  /**
   * When the host booted; a later bootTime than the previous snapshot's means the host rebooted.
   * Exact to the second on Linux (/proc/stat btime); elsewhere derived from uptime and may wobble
   * by a second, so compare with a few seconds of tolerance.
   */
  bootTime: Date;
}

/** What an endpoint check (`match: { http }` or `{ tcp }`) saw this cycle. */
export interface EndpointResult {
  up: boolean;
  /** Time to the answer (HTTP: to the response headers or the awaited text; TCP: to the connection); absent without one. */
  responseMs?: number;
  /** HTTP status of the answer. */
  statusCode?: number;
  /** Why it counts as down: no connection, no answer in time, the wrong status, or the text missing. */
  problem?: "connection" | "timeout" | "status" | "content";
  /** timeout: the deadline it did not answer within (the endpoint's `timeout`). */
  timeoutMs?: number;
  /** https: when the server's certificate expires. */
  certExpiresAt?: Date;
}

/** What the Docker Engine API said of a `match: { container }` service this cycle. */
export interface ContainerObservation {
  /** running, restarting, unhealthy (running, HEALTHCHECK failing), exited, created, paused, dead, missing, or unreachable (no answer from the socket). */
  state: string;
  /** exited: its exit code. */
  exitCode?: number;
  /** The HEALTHCHECK's verdict, when it has one. */
  health?: string;
  restartCount: number;
  /** unreachable: the socket error's code (EACCES, ENOENT, ETIMEDOUT…). */
  problem?: string;
  /** ETIMEDOUT: the Docker API deadline it did not answer within. */
  timeoutMs?: number;
}

/** What systemd said of a `match: { unit }` service this cycle (monitor/unit-state.ts decides up or down). */
export interface UnitObservation {
  /** systemd's ActiveState (active, failed, activating, inactive…); "missing" when no such unit is known, "unknown" when systemd did not answer (problem says why). */
  activeState: string;
  /** systemd's SubState: running, exited, dead, failed, auto-restart… */
  subState: string;
  loadState?: string;
  /** The service's Type (oneshot for what a timer runs). */
  type?: string;
  /** The service's Result of its last run: success, exit-code, signal, timeout… */
  result?: string;
  mainPid?: number;
  /** Automatic restarts (NRestarts). */
  restarts: number;
  /** The main process exited with this code (failed or restarting only). */
  exitStatus?: number;
  /** The main process was killed by this signal (failed or restarting only). */
  signal?: number;
  /** unknown: why (ENOENT: no bus socket, EACCES, timeout, org.freedesktop.DBus.Error.AccessDenied…). */
  problem?: string;
}

/** One configured service as seen by one probe cycle. */
export interface ServiceObservation {
  name: string;
  /**
   * At least one matching process is alive; for a port service, something listens on the port
   * (even when its owner is another user's process that gaia may not inspect: then pids is empty).
   */
  up: boolean;
  pids: number[];
  processCount: number;
  /** % of ONE core summed over the service's processes (can exceed 100 for multi-process services). */
  cpuPercent: number;
  /** Resident memory summed over the service's processes. */
  memoryBytes: number;
  /** memoryBytes as a share of total host memory, 0-100. */
  memoryPercent: number;
  /** Start of the service's oldest process; absent when down. */
  startedAt?: Date;
  /** http and tcp services: what the check saw. */
  endpoint?: EndpointResult;
  /** container services: what Docker said. */
  container?: ContainerObservation;
  /** unit services: what systemd said. */
  unit?: UnitObservation;
  /**
   * Endpoint and container services: their check runs in the background (the probe never waits for
   * one) and has not answered yet, nor passed its deadline: `up` is false but says nothing, and the
   * rules leave the service's conditions as they were.
   */
  unchecked?: true;
  /** Endpoint and container services: when the check whose result this is completed. */
  checkedAt?: Date;
}

/** One process of the table, as /top shows it: secrets in its name and command line already redacted. */
export interface ProcessSample {
  pid: number;
  /** Kernel process name (comm, at most 15 characters on Linux), redacted. */
  name: string;
  /** Full command line, space-joined, redacted by the probe's redactor; empty for kernel threads or when unreadable. */
  commandLine: string;
  /** % of ONE core since the previous snapshot. */
  cpuPercent: number;
  memoryBytes: number;
  /** memoryBytes as a share of total host memory, 0-100. */
  memoryPercent: number;
}

/** Sort key for the busiest processes. */
export type TopProcessesOrder = "cpu" | "memory";

/** Everything one probe cycle observed. */
export interface Snapshot {
  at: Date;
  host: HostFigures;
  services: ServiceObservation[];
  /**
   * The n busiest processes of this snapshot, by CPU or by memory, busiest first. Command lines
   * are read lazily here (only for the n returned), so calling it costs nothing until /top asks,
   * and redacted before they are returned (`ProbeOptions.redact`).
   */
  topProcesses(by: TopProcessesOrder, n: number): ProcessSample[];
}
