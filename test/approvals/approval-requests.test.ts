import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import { ApprovalRequests } from "../../approvals/approval-requests.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { openDatabase } from "../../entities/data-source.js";
import { makeTempHome } from "../helpers/temp-home.js";

const ALICE = { actor: "telegram:1001", label: "Alice (1001)" };
const BOB = { actor: "telegram:1002", label: "Bob (1002)" };

describe("approval requests in gaia.db", () => {
  let home: ReturnType<typeof makeTempHome>;
  let dataSource: DataSource;
  let clock: number;
  let requests: ApprovalRequests;
  let audit: AuditTrail;

  async function open(): Promise<void> {
    ({ dataSource } = await openDatabase(join(home.home, "gaia.db")));
    audit = new AuditTrail(dataSource, () => new Date(clock));
    requests = new ApprovalRequests({ dataSource, audit, defaultTimeoutMs: 600_000, now: () => new Date(clock) });
  }

  beforeEach(async () => {
    home = makeTempHome();
    clock = Date.parse("2026-11-25T12:00:00.000Z");
    await open();
  });

  afterEach(async () => {
    requests.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    home.cleanup();
  });

  async function kinds(): Promise<string[]> {
    return (await audit.recent({ limit: 100 })).map((e) => e.kind).reverse();
  }

  it("stores a pending request with the default expiry, or its own, and audits it", async () => {
    const a = await requests.create({ title: "Push to main", details: "3 commits", requester: "ci" });
    expect(a).toMatchObject({ title: "Push to main", details: "3 commits", requester: "ci", status: "pending", messageId: null, outcomeShown: false });
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    expect(a.expiresAt.toISOString()).toBe("2026-11-25T12:10:00.000Z");
    clock += 1;
    const b = await requests.create({ title: "Reboot", timeoutSeconds: 30 });
    expect(b.expiresAt.toISOString()).toBe("2026-11-25T12:00:30.001Z");
    expect((await requests.find(a.id))?.title).toBe("Push to main");
    expect(await requests.find("not-an-id")).toBeNull();
    expect((await requests.pending()).map((r) => r.id)).toEqual([a.id, b.id]);
    expect(await kinds()).toEqual(["approval.created", "approval.created"]);
  });

  it("lets the first decision win when two admins decide at the same moment", async () => {
    const request = await requests.create({ title: "Deploy" });
    const [first, second] = await Promise.all([
      requests.decide(request.id, "approved", ALICE),
      requests.decide(request.id, "denied", BOB),
    ]);
    expect(first.kind).toBe("decided");
    expect(second).toMatchObject({ kind: "already", request: { status: "approved", decidedBy: "Alice (1001)" } });
    const stored = await requests.find(request.id);
    expect(stored).toMatchObject({ status: "approved", decidedBy: "Alice (1001)" });
    expect(stored?.decidedAt?.toISOString()).toBe("2026-11-25T12:00:00.000Z");
    const decided = (await audit.recent({ subject: request.id })).filter((e) => e.kind === "approval.decided");
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ actor: "telegram:1001", details: { decision: "approved", decidedBy: "Alice (1001)" } });
  });

  it("answers a repeated decision (a redelivered update) with what happened, changing nothing", async () => {
    const request = await requests.create({ title: "Deploy" });
    expect((await requests.decide(request.id, "denied", ALICE)).kind).toBe("decided");
    clock += 5_000;
    const again = await requests.decide(request.id, "denied", ALICE);
    expect(again).toMatchObject({ kind: "already", request: { status: "denied" } });
    expect((await requests.find(request.id))?.decidedAt?.toISOString()).toBe("2026-11-25T12:00:00.000Z");
    expect(await requests.decide("0123456789abcdef", "approved", ALICE)).toEqual({ kind: "unknown" });
    expect(await requests.decide("../etc/passwd", "approved", ALICE)).toEqual({ kind: "unknown" });
  });

  it("expires what nobody decided in time, and a late press finds it expired", async () => {
    const soon = await requests.create({ title: "Soon", timeoutSeconds: 10 });
    const later = await requests.create({ title: "Later", timeoutSeconds: 60 });
    clock += 10_000;
    expect((await requests.expireDue()).map((r) => r.id)).toEqual([soon.id]);
    expect(await requests.expireDue()).toEqual([]);
    expect((await requests.pending()).map((r) => r.id)).toEqual([later.id]);

    clock += 50_000; // `later` is due, but the job has not run yet: the press must not approve it
    expect(await requests.decide(later.id, "approved", ALICE)).toMatchObject({ kind: "already", request: { status: "expired", decidedBy: null } });
    expect((await kinds()).filter((k) => k === "approval.expired")).toHaveLength(2);
    expect(await kinds()).not.toContain("approval.decided");
  });

  it("posts once: a second markPosted for the same request changes nothing", async () => {
    const request = await requests.create({ title: "Post me" });
    expect((await requests.unposted()).map((r) => r.id)).toEqual([request.id]);
    expect(await requests.markPosted(request.id, -100, 7)).toBe(true);
    expect(await requests.markPosted(request.id, -100, 8)).toBe(false);
    expect(await requests.unposted()).toEqual([]);
    expect(await requests.find(request.id)).toMatchObject({ chatId: -100, messageId: 7 });
  });

  it("hands out the outcome edit once, and again after a failed edit is released", async () => {
    const request = await requests.create({ title: "Edit me" });
    await requests.markPosted(request.id, -100, 7);
    expect(await requests.outcomesToShow()).toEqual([]); // still pending: nothing to show
    expect(await requests.claimOutcome(request.id)).toBe(false);
    await requests.decide(request.id, "approved", ALICE);
    expect((await requests.outcomesToShow()).map((r) => r.id)).toEqual([request.id]);
    const claims = await Promise.all([requests.claimOutcome(request.id), requests.claimOutcome(request.id)]);
    expect(claims.sort()).toEqual([false, true]);
    expect(await requests.outcomesToShow()).toEqual([]);
    await requests.releaseOutcome(request.id);
    expect(await requests.claimOutcome(request.id)).toBe(true);
  });

  it("wakes a waiting client as soon as the request is decided", async () => {
    const request = await requests.create({ title: "Wait for me" });
    const started = Date.now();
    const waiting = requests.waitForSettlement(request.id, 10_000);
    setTimeout(() => void requests.decide(request.id, "approved", BOB), 100);
    const settled = await waiting;
    expect(settled).toMatchObject({ status: "approved", decidedBy: "Bob (1002)" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("answers at once for a decided or unknown request, and after `wait` for a pending one", async () => {
    const request = await requests.create({ title: "Pending" });
    expect(await requests.waitForSettlement("fedcba9876543210", 5_000)).toBeNull();
    const started = Date.now();
    expect(await requests.waitForSettlement(request.id, 200)).toMatchObject({ status: "pending" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await requests.decide(request.id, "denied", ALICE);
    const again = Date.now();
    expect(await requests.waitForSettlement(request.id, 5_000)).toMatchObject({ status: "denied" });
    expect(Date.now() - again).toBeLessThan(1_000);
  });

  it("expires a waited-on request at its expiry, without waiting for the job", async () => {
    clock = Date.now(); // real time here: the wait sleeps until the expiry
    const request = await requests.create({ title: "Short", timeoutSeconds: 1 });
    requests = new ApprovalRequests({ dataSource, audit, defaultTimeoutMs: 600_000, now: () => new Date() });
    const started = Date.now();
    const settled = await requests.waitForSettlement(request.id, 10_000);
    expect(settled?.status).toBe("expired");
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it("ends every wait at once when closed (the monitor stops), leaving the request pending", async () => {
    const request = await requests.create({ title: "Across a restart" });
    const waiting = requests.waitForSettlement(request.id, 30_000);
    const aborter = new AbortController();
    const hungUp = requests.waitForSettlement(request.id, 30_000, aborter.signal);
    aborter.abort();
    expect(await hungUp).toMatchObject({ status: "pending" });
    requests.close();
    expect(await waiting).toMatchObject({ status: "pending" });
  });

  it("keeps a pending request across a reopen of gaia.db, and decides it afterwards", async () => {
    const request = await requests.create({ title: "Survives" });
    await requests.markPosted(request.id, -100, 42);
    requests.close();
    await dataSource.destroy();
    await open();
    const [pending] = await requests.pending();
    expect(pending).toMatchObject({ id: request.id, status: "pending", chatId: -100, messageId: 42 });
    expect((await requests.decide(request.id, "approved", ALICE)).kind).toBe("decided");
  });

  it("notifies the wiring of new and settled requests", async () => {
    const created: string[] = [];
    const settled: string[] = [];
    requests.onCreated((r) => created.push(r.id));
    const unsubscribe = requests.onSettled((r) => settled.push(`${r.id}:${r.status}`));
    const a = await requests.create({ title: "A", timeoutSeconds: 5 });
    const b = await requests.create({ title: "B" });
    await requests.decide(b.id, "denied", ALICE);
    clock += 5_000;
    await requests.expireDue();
    expect(created).toEqual([a.id, b.id]);
    expect(settled).toEqual([`${b.id}:denied`, `${a.id}:expired`]);
    unsubscribe();
  });
});
