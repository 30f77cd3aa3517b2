/**
 * Every watched disk (`host.disks`): its use, and whether it is still mounted. A listed path
 * counts as mounted only while /proc/self/mountinfo names it as a mount point: an unplugged USB
 * disk leaves an empty folder on the parent filesystem behind, whose figures would look fine.
 * One small file read and one statfs per disk per cycle; no child process.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readDiskUsage } from "./host-figures.js";
import type { DiskFigures } from "./snapshot.js";

/**
 * The mount points of a mountinfo text (field 5 of each line, with the kernel's octal escapes
 * such as \040 for a space undone).
 */
export function parseMountPoints(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const field = line.split(" ")[4];
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  }
  return points;
}

/** The mount points of this process's mount namespace; undefined where there is no mountinfo (not Linux). */
export function readMountPoints(mountinfoFile = "/proc/self/mountinfo"): Set<string> | undefined {
  try {
    return parseMountPoints(readFileSync(mountinfoFile, "utf8"));
  } catch {
    return undefined;
  }
}

/** The longest mount point holding `path` ("/" when unknown). */
export function mountPointHolding(points: ReadonlySet<string> | undefined, path: string): string {
  const target = resolve(path);
  let best = "/";
  for (const mount of points ?? []) {
    const inside = mount === "/" || target === mount || target.startsWith(`${mount}/`);
    if (inside && mount.length > best.length) best = mount;
  }
  return best;
}

/**
 * The figures of each listed disk, in the order given; without a list, the home folder's
 * filesystem (always there: gaia runs from it). A listed path that is gone, or that is not a
 * mount point any more, is `mounted: false` with zero figures.
 */
export function readDisks(options: {
  disks: readonly string[] | undefined;
  homeDir: string;
  mountinfoFile?: string;
  /** The home folder's use when the caller has just read it (the host figures do): not read twice. */
  homeUsage?: { percent: number; usedBytes: number; totalBytes: number };
}): DiskFigures[] {
  const points = readMountPoints(options.mountinfoFile);
  if (!options.disks) {
    return [{ path: options.homeDir, mountPoint: mountPointHolding(points, options.homeDir), mounted: true, ...(options.homeUsage ?? usageOf(options.homeDir)) }];
  }
  return options.disks.map((path) => {
    const target = resolve(path);
    // Without a mountinfo (not Linux), a path that exists is taken as mounted.
    const mounted = points ? points.has(target) : existsSync(target);
    if (!mounted) return { path, mountPoint: target, mounted: false, percent: 0, usedBytes: 0, totalBytes: 0 };
    try {
      return { path, mountPoint: target, mounted: true, ...usageOf(target) };
    } catch {
      // Unmounted between the two reads.
      return { path, mountPoint: target, mounted: false, percent: 0, usedBytes: 0, totalBytes: 0 };
    }
  });
}

function usageOf(path: string): { percent: number; usedBytes: number; totalBytes: number } {
  const { percent, usedBytes, totalBytes } = readDiskUsage(path);
  return { percent, usedBytes, totalBytes };
}
