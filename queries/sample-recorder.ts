/**
 * Figures kept for sparklines (`retention.samples`, default 7 days). Writing every probe of every
 * service would grow gaia.db by tens of MB a day at a 15 s probe; instead each subject's probes
 * are averaged into buckets: the host's over `hostEveryMs` (15 s), each service's over
 * `serviceEveryMs` (1 min). With 20 services that is about 35,000 rows, roughly 3 MB, a day.
 */
import type { DataSource } from "typeorm";
import { Sample } from "../entities/sample.js";
import type { Snapshot } from "../monitor/snapshot.js";

export interface SampleRecorderOptions {
  dataSource: DataSource;
  /** The probe's period: buckets hold whole numbers of probes. */
  probeEveryMs: number;
  /** One host row per this period (default 15 s; never more often than the probe). */
  hostEveryMs?: number;
  /** One row per service per this period (default 1 min). */
  serviceEveryMs?: number;
}

interface Bucket {
  probes: number;
  cpuSum: number;
  memorySum: number;
  /** Probes in which the figures were known (a down service has none). */
  measured: number;
  disk: number | null;
}

/** Averages probes into per-subject buckets and writes a row when a bucket is full. */
export class SampleRecorder {
  private readonly buckets = new Map<string, Bucket>();
  private readonly hostProbes: number;
  private readonly serviceProbes: number;

  constructor(private readonly options: SampleRecorderOptions) {
    const every = Math.max(1, options.probeEveryMs);
    this.hostProbes = Math.max(1, Math.round((options.hostEveryMs ?? 15_000) / every));
    this.serviceProbes = Math.max(1, Math.round((options.serviceEveryMs ?? 60_000) / every));
  }

  /** Adds one snapshot; writes the rows of the buckets it fills. Returns how many rows were written. */
  async record(snapshot: Snapshot): Promise<number> {
    const rows: Partial<Sample>[] = [];
    const { host } = snapshot;
    const hostRow = this.add("host", this.hostProbes, host.cpuPercent, host.memoryPercent, host.diskPercent);
    if (hostRow) rows.push({ at: snapshot.at, subject: "host", ...hostRow });
    for (const service of snapshot.services) {
      // Service memory is kept as % of total memory, like the host's, so one sparkline scale fits all.
      const row = service.up
        ? this.add(service.name, this.serviceProbes, service.cpuPercent, service.memoryPercent, null)
        : this.add(service.name, this.serviceProbes, undefined, undefined, null);
      if (row) rows.push({ at: snapshot.at, subject: service.name, ...row });
    }
    if (rows.length > 0) await this.options.dataSource.getRepository(Sample).insert(rows);
    return rows.length;
  }

  private add(
    subject: string,
    size: number,
    cpu: number | undefined,
    memory: number | undefined,
    disk: number | null,
  ): Pick<Sample, "cpu" | "memory" | "disk"> | undefined {
    const bucket = this.buckets.get(subject) ?? { probes: 0, cpuSum: 0, memorySum: 0, measured: 0, disk: null };
    bucket.probes++;
    if (cpu !== undefined && memory !== undefined && Number.isFinite(cpu) && Number.isFinite(memory)) {
      bucket.cpuSum += cpu;
      bucket.memorySum += memory;
      bucket.measured++;
    }
    if (disk !== null && Number.isFinite(disk)) bucket.disk = disk;
    if (bucket.probes < size) {
      this.buckets.set(subject, bucket);
      return undefined;
    }
    this.buckets.delete(subject);
    return {
      cpu: bucket.measured ? round(bucket.cpuSum / bucket.measured) : null,
      memory: bucket.measured ? round(bucket.memorySum / bucket.measured) : null,
      disk: bucket.disk === null ? null : round(bucket.disk),
    };
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
