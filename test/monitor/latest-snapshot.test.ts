import { describe, expect, it } from "vitest";
import { LatestSnapshot } from "../../monitor/latest-snapshot.js";
import type { Snapshot } from "../../monitor/snapshot.js";

function snapshotAt(iso: string): Snapshot {
  return {
    at: new Date(iso),
    host: {
      cpuPercent: 5, memoryPercent: 40, memoryUsedBytes: 4e9, memoryTotalBytes: 1e10, diskPercent: 50,
      diskUsedBytes: 5e10, diskTotalBytes: 1e11, load: [0.1, 0.2, 0.3], uptimeSeconds: 100, bootTime: new Date("2025-01-01T00:00:00Z"),
    },
    services: [],
    topProcesses: () => [],
  };
}

describe("the latest snapshot that /status and /metrics read", () => {
  it("has nothing before the first probe, then always the newest one", () => {
    const holder = new LatestSnapshot();
    expect(holder.current()).toBeUndefined();
    expect(holder.ageMs()).toBeUndefined();
    holder.update(snapshotAt("2025-01-01T00:00:00Z"));
    holder.update(snapshotAt("2025-01-01T00:00:15Z"));
    expect(holder.current()!.at.toISOString()).toBe("2025-01-01T00:00:15.000Z");
    expect(holder.ageMs(new Date("2025-01-01T00:00:20Z"))).toBe(5000);
  });

  it("lets a /status sent right after start wait for the first probe, or give up after the timeout", async () => {
    const holder = new LatestSnapshot();
    expect(await holder.next(20)).toBeUndefined();
    const waiting = holder.next(5000);
    holder.update(snapshotAt("2025-01-01T00:00:00Z"));
    expect((await waiting)!.at.toISOString()).toBe("2025-01-01T00:00:00.000Z");
  });
});
