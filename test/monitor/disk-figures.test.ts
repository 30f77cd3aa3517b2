import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountPointHolding, parseMountPoints, readDisks } from "../../monitor/disk-figures.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("watched disks", () => {
  it("reads mount points from mountinfo, undoing the kernel's escapes", () => {
    const points = parseMountPoints(
      ["27 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw", "40 27 8:17 / /srv/my\\040media rw - ext4 /dev/sdb1 rw", ""].join("\n"),
    );
    expect([...points]).toEqual(["/", "/srv/my media"]);
    expect(mountPointHolding(points, "/srv/my media/films")).toBe("/srv/my media");
    expect(mountPointHolding(points, "/srv/other")).toBe("/");
  });

  it("counts a listed path as mounted only while mountinfo names it: an empty folder left by an unplugged disk is missing", () => {
    const root = mkdtempSync(join(tmpdir(), "gaia-disks-"));
    dirs.push(root);
    const usb = join(root, "usb");
    mkdirSync(usb);
    const mountinfo = join(root, "mountinfo");
    writeFileSync(mountinfo, `27 1 8:1 / / rw - ext4 /dev/sda1 rw\n41 27 8:33 / ${usb} rw - vfat /dev/sdc1 rw\n`);
    const disks = readDisks({ disks: ["/", usb, join(root, "gone")], homeDir: root, mountinfoFile: mountinfo });
    expect(disks.map((d) => [d.path, d.mounted])).toEqual([["/", true], [usb, true], [join(root, "gone"), false]]);
    expect(disks[0].totalBytes).toBeGreaterThan(0);
    expect(disks[2]).toMatchObject({ percent: 0, usedBytes: 0, totalBytes: 0 });

    // Unplugged: the folder is still there, but no longer a mount point.
    writeFileSync(mountinfo, "27 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
    expect(readDisks({ disks: [usb], homeDir: root, mountinfoFile: mountinfo })[0].mounted).toBe(false);
  });

  it("watches the home folder's filesystem when no list is given", () => {
    const root = mkdtempSync(join(tmpdir(), "gaia-disks-"));
    dirs.push(root);
    const mountinfo = join(root, "mountinfo");
    writeFileSync(mountinfo, "27 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
    const [home] = readDisks({ disks: undefined, homeDir: root, mountinfoFile: mountinfo });
    expect(home).toMatchObject({ path: root, mountPoint: "/", mounted: true });
    expect(home.percent).toBeGreaterThanOrEqual(0);
  });
});
