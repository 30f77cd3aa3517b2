import type { HostFigures, ProcessSample, ServiceObservation, Snapshot } from "../../monitor/snapshot.js";

/** A snapshot built by hand: the host at rest unless told otherwise, services up unless listed as down. */
export function fakeSnapshot(input: {
  at: Date;
  host?: Partial<HostFigures>;
  services?: (Partial<ServiceObservation> & { name: string })[];
  top?: ProcessSample[];
}): Snapshot {
  const host: HostFigures = {
    cpuPercent: 5,
    memoryPercent: 30,
    memoryUsedBytes: 3e9,
    memoryTotalBytes: 1e10,
    diskPercent: 40,
    diskUsedBytes: 4e10,
    diskTotalBytes: 1e11,
    load: [0.1, 0.2, 0.3],
    uptimeSeconds: 1000,
    bootTime: new Date("2025-01-01T00:00:00Z"),
    ...input.host,
  };
  const services = (input.services ?? []).map((s) => ({
    up: true,
    pids: s.up === false ? [] : [100],
    processCount: s.up === false ? 0 : 1,
    cpuPercent: 1,
    memoryBytes: 1e8,
    memoryPercent: 1,
    ...s,
  }));
  const top = input.top ?? [];
  return {
    at: input.at,
    host,
    services,
    topProcesses: (by, n) => [...top].sort((a, b) => (by === "cpu" ? b.cpuPercent - a.cpuPercent : b.memoryBytes - a.memoryBytes)).slice(0, n),
  };
}
