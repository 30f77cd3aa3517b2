import { describe, expect, it } from "vitest";
import { emptyState, evaluate, restoreState, type MonitorState, type RuleSettings } from "../../monitor/rules.js";
import type { DiskFigures } from "../../monitor/snapshot.js";
import { fakeSnapshot } from "./fake-snapshot.js";

const rules: RuleSettings = {
  host: { cpu: 100, memory: 100, disk: 90, sustain: 2, disks: ["/", "/srv/media"] },
  services: [],
  remindMs: 0,
  flapping: { windowMs: 0, changes: 0 },
  mutes: [],
};
const disk = (path: string, percent: number, mounted = true): DiskFigures => ({ path, mountPoint: path, mounted, percent, usedBytes: percent, totalBytes: 100 });

function run(probes: DiskFigures[][]): { state: MonitorState; changes: string[] } {
  let state = emptyState();
  const changes: string[] = [];
  probes.forEach((disks, i) => {
    const now = new Date(Date.UTC(2026, 0, 1, 0, 0, i * 15));
    const next = evaluate(state, fakeSnapshot({ at: now, host: { disks } }), rules, now);
    state = restoreState(JSON.parse(JSON.stringify(next.state)));
    for (const t of next.transitions) changes.push(`${i}:${t.key}:${t.change}`);
  });
  return { state, changes };
}

describe("rules: every listed disk", () => {
  it("alerts each mount's use against the threshold, under its own key", () => {
    const { changes } = run([
      [disk("/", 50), disk("/srv/media", 95)],
      [disk("/", 50), disk("/srv/media", 95)],
      [disk("/", 50), disk("/srv/media", 40)],
      [disk("/", 50), disk("/srv/media", 40)],
    ]);
    expect(changes).toEqual(["1:host:disk:/srv/media:opened", "3:host:disk:/srv/media:resolved"]);
  });

  it("alerts a missing mount as such after sustain probes, clears its disk incident, and resolves when it is back", () => {
    const { changes, state } = run([
      [disk("/", 50), disk("/srv/media", 95)],
      [disk("/", 50), disk("/srv/media", 95)],
      [disk("/", 50), disk("/srv/media", 0, false)],
      [disk("/", 50), disk("/srv/media", 0, false)],
      [disk("/", 50), disk("/srv/media", 0, false)],
      [disk("/", 50), disk("/srv/media", 30)],
    ]);
    expect(changes).toEqual([
      "1:host:disk:/srv/media:opened",
      "3:host:mount:/srv/media:opened",
      "3:host:disk:/srv/media:resolved",
      "5:host:mount:/srv/media:resolved",
    ]);
    expect(state.conditions["host:mount:/srv/media"]).toMatchObject({ status: "ok", figures: { up: true, mount: "/srv/media" } });
    // The home folder's single disk condition is not used when disks are listed.
    expect(state.conditions["host:disk"]).toBeUndefined();
  });
});
