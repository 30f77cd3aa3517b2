import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/**
 * The mount point of the filesystem holding `path` (the longest mount point that is a prefix of
 * it, from /proc/self/mounts), for the `mountpoint` label of the disk metrics; "/" when unknown.
 */
export function mountPointOf(path: string, mountsFile = "/proc/self/mounts"): string {
  let text: string;
  try {
    text = readFileSync(mountsFile, "utf8");
  } catch {
    return "/";
  }
  const target = resolve(path);
  let best = "/";
  for (const line of text.split("\n")) {
    // Fields are space-separated, with spaces inside a path written as \040.
    const mount = line.split(" ")[1]?.replace(/\\040/g, " ");
    if (!mount) continue;
    const inside = mount === "/" || target === mount || target.startsWith(`${mount}/`);
    if (inside && mount.length > best.length) best = mount;
  }
  return best;
}
