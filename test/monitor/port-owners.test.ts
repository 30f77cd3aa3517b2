import { networkInterfaces } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { createPortOwnerFinder, parseListeningSockets, readListeningSockets } from "../../monitor/port-owners.js";
import { readProcessTable } from "../../monitor/process-table.js";
import { startListener, stopAllChildren, stopChild } from "./child-processes.js";
import { createFakeProc } from "./fake-proc.js";

afterAll(stopAllChildren);

const hasIpv6Loopback = Object.values(networkInterfaces()).some((addresses) =>
  addresses?.some((a) => a.family === "IPv6" && a.internal),
);

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 31400 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0
   3: 0100007F:A000 0100007F:1F90 06 00000000:00000000 03:00000A1D 00000000     0        0 0 3 0000000000000000
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31338 1 0000000000000000 100 0 0 10 0
`;

describe("reading the kernel's socket tables", () => {
  it("keeps only listening sockets (state 0A) with their port and inode, IPv4 and IPv6", () => {
    expect(parseListeningSockets(TCP)).toEqual([
      { port: 8080, inode: 31337 },
      { port: 22, inode: 2222 },
    ]);
    expect(parseListeningSockets(TCP6)).toEqual([{ port: 8080, inode: 31338 }]);
  });

  it("reads tcp and tcp6 from a /proc tree, and copes without tcp6 (IPv6 disabled)", () => {
    const both = createFakeProc({ processes: [], net: { tcp: TCP, tcp6: TCP6 } });
    const v4only = createFakeProc({ processes: [], net: { tcp: TCP } });
    try {
      expect(readListeningSockets(both.root).map((s) => s.inode)).toEqual([31337, 2222, 31338]);
      expect(readListeningSockets(v4only.root).map((s) => s.inode)).toEqual([31337, 2222]);
    } finally {
      both.cleanup();
      v4only.cleanup();
    }
  });
});

describe("finding who listens on a port", () => {
  it("finds the child listening on 127.0.0.1, then confirms it from cache without a new scan", async () => {
    const listener = await startListener("127.0.0.1");
    const finder = createPortOwnerFinder("/proc");
    const first = finder.findListeners([listener.port], readProcessTable("/proc"));
    expect(first.get(listener.port)).toEqual({ listening: true, pids: [listener.pid] });
    expect(finder.stats.fdScans).toBe(1);

    const second = finder.findListeners([listener.port], readProcessTable("/proc"));
    expect(second.get(listener.port)).toEqual({ listening: true, pids: [listener.pid] });
    // The cached owner was verified with one readlink: no fd scan, not even the socket tables.
    expect(finder.stats).toEqual({ fdScans: 1, cacheHits: 1, socketTableReads: 1 });

    await stopChild(listener);
    const after = finder.findListeners([listener.port], readProcessTable("/proc"));
    expect(after.get(listener.port)).toEqual({ listening: false, pids: [] });
  });

  it.skipIf(!hasIpv6Loopback)("finds a listener on IPv6 loopback", async () => {
    const listener = await startListener("::1");
    expect(listener.port).toBeGreaterThan(0);
    const finder = createPortOwnerFinder("/proc");
    expect(finder.findListeners([listener.port], readProcessTable("/proc")).get(listener.port)).toEqual({
      listening: true,
      pids: [listener.pid],
    });
  });

  it.skipIf(!hasIpv6Loopback)(
    "notices a second listener on the same port (IPv6 beside IPv4) at the next minute's re-read",
    async () => {
      const v4 = await startListener("127.0.0.1");
      const finder = createPortOwnerFinder("/proc");
      const start = Date.now();
      const at = (offsetMs: number) => readProcessTable("/proc", { takenAt: start + offsetMs });
      expect(finder.findListeners([v4.port], at(0)).get(v4.port)?.pids).toEqual([v4.pid]);
      const v6 = await startListener("::1", v4.port);
      // Within the minute the verified cache answers alone.
      expect(finder.findListeners([v4.port], at(15_000)).get(v4.port)?.pids).toEqual([v4.pid]);
      expect(finder.stats.socketTableReads).toBe(1);
      const later = finder.findListeners([v4.port], at(61_000)).get(v4.port)!;
      expect(later.pids.sort((a, b) => a - b)).toEqual([v4.pid, v6.pid].sort((a, b) => a - b));
      expect(finder.stats).toMatchObject({ socketTableReads: 2, fdScans: 2 });
    },
  );

  it("reads the socket tables every cycle while nothing listens on a port", async () => {
    const finder = createPortOwnerFinder("/proc");
    const listener = await startListener("127.0.0.1");
    await stopChild(listener); // its port is now free
    for (let i = 0; i < 3; i++) {
      expect(finder.findListeners([listener.port], readProcessTable("/proc")).get(listener.port)).toEqual({
        listening: false,
        pids: [],
      });
    }
    expect(finder.stats).toEqual({ fdScans: 0, cacheHits: 0, socketTableReads: 3 });
  });

  it("rescans when a cached owner is replaced by a new process on the same port", async () => {
    const firstOwner = await startListener("127.0.0.1");
    const finder = createPortOwnerFinder("/proc");
    finder.findListeners([firstOwner.port], readProcessTable("/proc"));
    await stopChild(firstOwner);
    // A new listener gets a new port from the kernel: ask for both, the old one is closed.
    const next = await startListener("127.0.0.1");
    const result = finder.findListeners([firstOwner.port, next.port], readProcessTable("/proc"));
    expect(result.get(firstOwner.port)?.listening).toBe(false);
    expect(result.get(next.port)).toEqual({ listening: true, pids: [next.pid] });
    expect(finder.stats.fdScans).toBe(2);
  });

  it("does no work at all when no port is asked about", () => {
    const finder = createPortOwnerFinder("/nonexistent");
    expect(finder.findListeners([], { takenAt: 0, clockTicks: 100, uptimeTicks: 0, processes: new Map() }).size).toBe(0);
    expect(finder.stats.fdScans).toBe(0);
  });
});
