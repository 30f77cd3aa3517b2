import { describe, expect, it } from "vitest";
import type { ServiceConfig } from "../../config/types.js";
import { emptyState, evaluate, type MonitorState, type RuleSettings } from "../../monitor/rules.js";
import type { ServiceObservation } from "../../monitor/snapshot.js";
import { fakeSnapshot } from "./fake-snapshot.js";

const T0 = Date.parse("2026-03-01T12:00:00Z");
const web: ServiceConfig = { name: "web", match: { kind: "http", http: "http://web.lan/", timeoutMs: 2_000 }, cpu: 50 };
const rules: RuleSettings = {
  host: { cpu: 100, memory: 100, disk: 100, sustain: 2 },
  services: [web],
  remindMs: 0,
  flapping: { windowMs: 10 * 60_000, changes: 4 },
  mutes: [],
};

const seenAs: Record<string, Partial<ServiceObservation>> = {
  // What the probe reports before the endpoint's first check has answered (or passed its deadline).
  unchecked: { up: false, pids: [], processCount: 0, cpuPercent: 0, memoryBytes: 0, memoryPercent: 0, unchecked: true },
  up: { up: true, pids: [], processCount: 0, cpuPercent: 0, endpoint: { up: true, responseMs: 3, statusCode: 200 } },
  hung: { up: false, pids: [], processCount: 0, cpuPercent: 0, endpoint: { up: false, problem: "timeout", timeoutMs: 2_000 } },
};

/** Probes one every 15 s from `start`: each word is what the probe saw of web. */
function run(words: string[], start: MonitorState = emptyState()) {
  let state = start;
  const lines: string[] = [];
  words.forEach((word, index) => {
    const at = new Date(T0 + index * 15_000);
    const result = evaluate(state, fakeSnapshot({ at, services: [{ name: "web", ...seenAs[word] }] }), rules, at);
    for (const t of result.transitions) lines.push(`${index} ${t.condition} ${t.change}`);
    state = JSON.parse(JSON.stringify(result.state)) as MonitorState;
  });
  return { lines, state };
}

describe("rules: a service whose check has not answered yet", () => {
  it("is not alerted down while nothing is known, however many cycles that takes", () => {
    const { lines, state } = run(["unchecked", "unchecked", "unchecked", "unchecked"]);
    expect(lines).toEqual([]);
    expect(state.conditions["service:web:down"]).toBeUndefined();
  });

  it("counts sustain from the first answer on: a hung endpoint opens after two answers of 'no answer'", () => {
    expect(run(["unchecked", "hung", "hung"]).lines).toEqual(["2 down opened"]);
    expect(run(["unchecked", "up", "hung", "hung", "up"]).lines).toEqual(["3 down opened", "4 down resolved"]);
  });

  it("keeps every condition where it was: a pending down stays pending, an open incident stays open", () => {
    // down, nothing known, down: the second down is the second in a row.
    expect(run(["hung", "unchecked", "hung"]).lines).toEqual(["2 down opened"]);
    // An incident open before a restart is neither resolved nor re-opened by the first cycles after it.
    const before = run(["hung", "hung"]);
    expect(before.lines).toEqual(["1 down opened"]);
    const after = run(["unchecked", "unchecked", "up"], before.state);
    expect(after.lines).toEqual(["2 down resolved"]);
    expect(after.state.conditions["service:web:flapping"]?.status ?? "ok").toBe("ok");
  });
});
