/**
 * Every disk as an admin meets it: the real `gaia start`, the fake Telegram, and a real tmpfs as
 * an extra mount (mounting needs root: elsewhere the test is skipped, and the unit tests of
 * monitor/disk-figures.ts and the disk rules cover the same logic with a fake mountinfo).
 */
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { askStatus, eventually, monitoringHarness, type MonitoringHarness } from "./monitoring-harness.js";

function canMount(): boolean {
  const dir = mkdtempSync(join(tmpdir(), "gaia-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const mount = (dir: string) => execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", dir], { stdio: "ignore" });
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const unmount = (dir: string) => execFileSync("umount", ["-l", dir], { stdio: "ignore" });

describe.skipIf(!canMount())("every disk: host.disks with a tmpfs as an extra mount", () => {
  let harness: MonitoringHarness | undefined;
  const mounted: string[] = [];
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && harness) console.log(harness.dump());
    for (const dir of mounted.splice(0)) {
      try {
        unmount(dir);
      } catch {
        // already unmounted by the test
      }
    }
    await harness?.cleanup();
    harness = undefined;
  });

  it("shows each mount in /status and /metrics, alerts a full one and an unplugged one as such, and hears it is back", async () => {
    const h = (harness = await monitoringHarness(() => ""));
    const media = join(h.home, "media");
    mkdirSync(media);
    mount(media);
    mounted.push(media);
    // The harness's host block gets the list of disks (thresholds stay at 100%: only a full disk alerts).
    const config = join(h.home, "gaia.yml");
    writeFileSync(config, readFileSync(config, "utf8").replace("  sustain: 2\n", `  sustain: 2\n  disks: [/, ${media}]\n`));

    h.startGaia();
    await h.tg.waitForMessage("Gaia started", { timeoutMs: 20_000 });
    await eventually(async () => (await h.metric(`gaia_host_disk_mounted{mountpoint="${media}"}`)) === 1, 15_000, "media mounted in /metrics");
    expect(await h.metric(`gaia_host_disk_size_bytes{mountpoint="${media}"}`)).toBe(1024 * 1024);
    expect(await h.metric('gaia_host_disk_mounted{mountpoint="/"}')).toBe(1);

    const status = await askStatus(h.tg);
    expect(status).toMatch(new RegExp(`Disk\\s+[\\d.]+%\\s+.* of .*  ${escape(media)}`));
    expect(status).toMatch(/Disk\s+[\d.]+%\s+.* of .*  \/\n/);

    // Filled up: 100% used, at the threshold.
    try {
      writeFileSync(join(media, "fill"), Buffer.alloc(2 * 1024 * 1024));
    } catch {
      // ENOSPC: it is full, as intended
    }
    const full = await h.tg.waitForMessage(new RegExp(`host disk ${escape(media)} at 100% used`), { timeoutMs: 15_000 });
    expect(full.plainText).toContain("(threshold 100%)");

    // Unplugged: the folder stays, but it is no longer a mount point.
    unmount(media);
    const missing = await h.tg.waitForMessage(new RegExp(`${escape(media)} is not mounted`), { timeoutMs: 15_000 });
    expect(missing.plainText).toMatch(/🔴/);
    await h.tg.waitForMessage(new RegExp(`host disk ${escape(media)} back to normal`), { timeoutMs: 15_000 });
    await eventually(async () => (await h.metric(`gaia_host_disk_mounted{mountpoint="${media}"}`)) === 0, 15_000, "media unmounted in /metrics");

    const second = await askStatus(h.tg);
    expect(second).toContain(`${media} not mounted`);
    expect(second).toMatch(new RegExp(`host mount ${escape(media)} since`));

    // Plugged in again.
    mount(media);
    await h.tg.waitForMessage(new RegExp(`${escape(media)} is mounted again`), { timeoutMs: 15_000 });

    const keys = h.query<{ key: string }>("SELECT key FROM incidents ORDER BY id").map((r) => r.key);
    expect(keys).toEqual(expect.arrayContaining([`host:disk:${media}`, `host:mount:${media}`]));
    const audit = h.query<{ message: string }>("SELECT message FROM events").map((r) => r.message);
    expect(audit).toEqual(expect.arrayContaining([`${media} is not mounted`, `${media} is mounted again`]));
  }, 120_000);
});
