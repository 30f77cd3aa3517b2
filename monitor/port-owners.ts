/**
 * Which process listens on a TCP port, without `ss -p` or `lsof`: the kernel's socket tables
 * (/proc/net/tcp and tcp6) give each listening socket's inode, and the owner is the process that
 * has a file descriptor linking to `socket:[inode]`.
 *
 * Finding that descriptor means reading every fd symlink of every process, which is by far the
 * costliest part of a probe. So the finder is only used when a service matches by port, and it
 * remembers who owned each socket (pid, fd number and process start): the next cycle verifies
 * that with one readlink per owner and scans again only when it no longer holds.
 *
 * Even the socket tables are not free: the kernel walks its whole connection hash table to print
 * them (about 4 ms per file on a 24 GB host with two sockets open). While every asked port's
 * cached owners still hold their sockets, a listening socket cannot have gone away, so the
 * tables are re-read only once a minute then (to notice extra listeners), and every cycle
 * otherwise (a port with nothing listening, or an owner that changed).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { ProcessTable } from "./process-table.js";

/** One socket in the LISTEN state. */
export interface ListeningSocket {
  port: number;
  inode: number;
}

/** What the finder found for one port this cycle. */
export interface PortListeners {
  /** Some socket (IPv4 or IPv6) listens on the port, whether or not its owner is visible. */
  listening: boolean;
  /** Processes owning a listening socket of the port; empty when none could be read. */
  pids: number[];
}

/** Work the finder did, cumulated, for the benchmark and for tests. */
export interface PortOwnerStats {
  /** Full scans of every process's file descriptors. */
  fdScans: number;
  /** Cached owners confirmed with a single readlink. */
  cacheHits: number;
  /** Reads of /proc/net/tcp + tcp6. */
  socketTableReads: number;
}

/** Finds and remembers the owners of listening sockets (see the module comment). */
export interface PortOwnerFinder {
  /** The listeners of each asked port, from one read of tcp and tcp6 for all of them. */
  findListeners(ports: readonly number[], table: ProcessTable): Map<number, PortListeners>;
  readonly stats: PortOwnerStats;
}

/** How long a socket whose owner could not be read waits before the next full scan. */
const UNOWNED_RETRY_MS = 60_000;

/** How long verified cached owners may answer without re-reading the socket tables. */
const SOCKET_TABLES_MAX_AGE_MS = 60_000;

/** The LISTEN state in /proc/net/tcp's "st" column. */
const TCP_LISTEN = "0A";

/**
 * Parses /proc/net/tcp or /proc/net/tcp6 and keeps the sockets in LISTEN state. The local address
 * is "HEX_IP:HEX_PORT" (32 hex digits of IP for tcp6); the inode is the tenth column.
 */
export function parseListeningSockets(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 10 || columns[3] !== TCP_LISTEN) continue;
    const local = columns[1];
    const port = parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
    const inode = Number(columns[9]);
    if (Number.isInteger(port) && inode > 0) sockets.push({ port, inode });
  }
  return sockets;
}

/** Listening sockets of IPv4 and IPv6 (tcp6 is absent when IPv6 is disabled: not an error). */
export function readListeningSockets(procRoot = "/proc"): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const file of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(join(procRoot, "net", file), "latin1");
    } catch {
      continue;
    }
    sockets.push(...parseListeningSockets(text));
  }
  return sockets;
}

interface SocketOwner {
  pid: number;
  fd: string;
  startTicks: number;
}

/**
 * Creates a finder that keeps its cache between probe cycles. Needs to read other processes'
 * /proc/<pid>/fd: as root it sees every owner; as a user, only that user's processes (a socket
 * of another user's process still counts as listening, with no pid).
 */
export function createPortOwnerFinder(procRoot = "/proc"): PortOwnerFinder {
  /** Owners of each listening socket asked about, by inode. */
  const owners = new Map<number, SocketOwner[]>();
  /** The port of each listening socket asked about, from the last read of the socket tables. */
  const inodePorts = new Map<number, number>();
  /** Sockets whose owner could not be read, with the time after which to scan again. */
  const unowned = new Map<number, number>();
  let socketTablesReadAt = -Infinity;
  const stats: PortOwnerStats = { fdScans: 0, cacheHits: 0, socketTableReads: 0 };

  function stillOwns(owner: SocketOwner, inode: number, table: ProcessTable): boolean {
    if (table.processes.get(owner.pid)?.startTicks !== owner.startTicks) return false;
    try {
      return readlinkSync(join(procRoot, String(owner.pid), "fd", owner.fd)) === `socket:[${inode}]`;
    } catch {
      return false; // fd closed or process gone
    }
  }

  /** Keeps the cached owners that still hold their socket; true when every socket kept one. */
  function verifyCachedOwners(table: ProcessTable): boolean {
    let allHeld = true;
    for (const inode of inodePorts.keys()) {
      const verified = (owners.get(inode) ?? []).filter((owner) => stillOwns(owner, inode, table));
      if (verified.length > 0) {
        stats.cacheHits += verified.length;
        owners.set(inode, verified);
      } else {
        owners.delete(inode);
        allHeld = false;
      }
    }
    return allHeld;
  }

  /** Reads every process's fds once and records the owners of the wanted inodes. */
  function scan(wanted: Set<number>, table: ProcessTable): Map<number, SocketOwner[]> {
    stats.fdScans++;
    const found = new Map<number, SocketOwner[]>();
    for (const info of table.processes.values()) {
      const fdDir = join(procRoot, String(info.pid), "fd");
      let fds: string[];
      try {
        fds = readdirSync(fdDir);
      } catch {
        continue; // exited, or another user's process
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(join(fdDir, fd));
        } catch {
          continue;
        }
        if (!target.startsWith("socket:[")) continue;
        const inode = Number(target.slice(8, -1));
        if (!wanted.has(inode)) continue;
        const list = found.get(inode) ?? [];
        if (!list.some((o) => o.pid === info.pid)) list.push({ pid: info.pid, fd, startTicks: info.startTicks });
        found.set(inode, list);
      }
    }
    // Under systemd socket activation pid 1 holds the socket too; the service is the real owner.
    for (const [inode, list] of found) {
      if (list.length > 1) found.set(inode, list.filter((o) => o.pid !== 1));
    }
    return found;
  }

  /** Re-reads the socket tables, forgets closed sockets and finds owners of new or moved ones. */
  function refresh(asked: Set<number>, table: ProcessTable, ownersVerified: boolean): void {
    stats.socketTableReads++;
    socketTablesReadAt = table.takenAt;
    inodePorts.clear();
    for (const socket of readListeningSockets(procRoot)) {
      if (asked.has(socket.port)) inodePorts.set(socket.inode, socket.port);
    }
    for (const inode of [...owners.keys()]) if (!inodePorts.has(inode)) owners.delete(inode);
    for (const inode of [...unowned.keys()]) if (!inodePorts.has(inode)) unowned.delete(inode);
    if (!ownersVerified) verifyCachedOwners(table);

    const toScan = new Set<number>();
    for (const inode of inodePorts.keys()) {
      if (owners.has(inode)) continue;
      const retryAt = unowned.get(inode);
      if (retryAt === undefined || table.takenAt >= retryAt) toScan.add(inode);
    }
    if (toScan.size === 0) return;
    const found = scan(toScan, table);
    for (const inode of toScan) {
      const list = found.get(inode);
      if (list && list.length > 0) {
        owners.set(inode, list);
        unowned.delete(inode);
      } else {
        unowned.set(inode, table.takenAt + UNOWNED_RETRY_MS);
      }
    }
  }

  function findListeners(ports: readonly number[], table: ProcessTable): Map<number, PortListeners> {
    const result = new Map<number, PortListeners>();
    for (const port of ports) result.set(port, { listening: false, pids: [] });
    if (ports.length === 0) return result;
    const asked = new Set(ports);
    const cachedPorts = new Set(inodePorts.values());
    // The cache answers only for exactly the ports it was filled for, while fresh enough.
    const cacheCovers =
      table.takenAt - socketTablesReadAt < SOCKET_TABLES_MAX_AGE_MS &&
      ports.every((port) => cachedPorts.has(port)) &&
      [...cachedPorts].every((port) => asked.has(port));
    const allHeld = cacheCovers && verifyCachedOwners(table);
    if (!allHeld) refresh(asked, table, cacheCovers);

    for (const [inode, port] of inodePorts) {
      const listeners = result.get(port)!;
      listeners.listening = true;
      for (const owner of owners.get(inode) ?? []) {
        if (!listeners.pids.includes(owner.pid)) listeners.pids.push(owner.pid);
      }
    }
    return result;
  }

  return { findListeners, stats };
}
