import { describe, expect, it } from "vitest";
import type { ServiceConfig } from "../../config/types.js";
import { emptyState, evaluate, type RuleSettings } from "../../monitor/rules.js";
import { fakeSnapshot } from "./fake-snapshot.js";

const DAY = 86_400_000;
const proxy: ServiceConfig = { name: "proxy", match: { kind: "http", http: "https://proxy.lan/", timeoutMs: 10_000 } };
const plain: ServiceConfig = { name: "web", match: { kind: "http", http: "http://web.lan/", timeoutMs: 10_000 } };
const rules = (services: ServiceConfig[]): RuleSettings => ({
  host: { cpu: 100, memory: 100, disk: 100, sustain: 2 },
  services,
  remindMs: 0,
  flapping: { windowMs: 0, changes: 0 },
  mutes: [],
});

describe("rules: https certificates", () => {
  const now = new Date("2026-03-01T12:00:00Z");
  const seen = (expiresInDays: number | undefined, name = "proxy") =>
    fakeSnapshot({ at: now, services: [{ name, endpoint: { up: true, responseMs: 5, ...(expiresInDays !== undefined ? { certExpiresAt: new Date(now.getTime() + expiresInDays * DAY) } : {}) } }] });

  it.each([
    [30, []],
    [14.5, []],
    [14, ["opened"]],
    [3, ["opened"]],
    [-1, ["opened"]],
  ])("a certificate expiring in %s days gives %j", (days, changes) => {
    const { transitions } = evaluate(emptyState(), seen(days), rules([proxy]), now);
    expect(transitions.filter((t) => t.condition === "certificate").map((t) => t.change)).toEqual(changes);
  });

  it("resolves when a renewed certificate is seen, and keeps its state through a cycle without an answer", () => {
    const first = evaluate(emptyState(), seen(5), rules([proxy]), now);
    expect(first.transitions[0]).toMatchObject({ key: "service:proxy:certificate", figures: { unit: "days", threshold: 14 } });
    const silent = evaluate(first.state, seen(undefined), rules([proxy]), now);
    expect(silent.transitions.filter((t) => t.condition === "certificate")).toEqual([]);
    expect(silent.state.conditions["service:proxy:certificate"].status).toBe("open");
    const renewed = evaluate(silent.state, seen(90), rules([proxy]), now);
    expect(renewed.transitions.filter((t) => t.condition === "certificate").map((t) => t.change)).toEqual(["resolved"]);
  });

  it("never looks at certificates of plain http endpoints", () => {
    const { state } = evaluate(emptyState(), seen(1, "web"), rules([plain]), now);
    expect(state.conditions["service:web:certificate"]).toBeUndefined();
  });
});
