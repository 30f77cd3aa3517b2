import { describe, expect, it } from "vitest";
import { ApprovalRequests } from "../../approvals/approval-requests.js";
import { Secret } from "../../config/secret.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { openDatabase } from "../../entities/data-source.js";
import { AuditEvent, Incident, Mute } from "../../entities/index.js";
import { StateStore } from "../../entities/state-store.js";
import { ALL_HOSTS, readHistoryPage } from "../../queries/history-timeline.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { TEST_POSTGRES_URL, tempPostgresDatabase } from "../helpers/temp-postgres.js";

// PostgreSQL only: .ci/run starts a server and sets GAIA_TEST_DATABASE_URL.
describe.skipIf(!TEST_POSTGRES_URL)("several hosts sharing one PostgreSQL database", () => {
  const defer = deferCleanups();

  async function twoHosts() {
    const database = await tempPostgresDatabase();
    defer(() => database.drop());
    const open = async (host: string) => {
      const { dataSource } = await openDatabase({ kind: "postgres", url: new Secret(database.url), host });
      defer(() => dataSource.destroy());
      return dataSource;
    };
    return { nas: await open("nas"), pi: await open("pi") };
  }

  it("two monitors writing one audit trail at once lose no row, and each row names its host", async () => {
    const { nas, pi } = await twoHosts();
    const write = (dataSource: typeof nas, host: string) =>
      Promise.all(Array.from({ length: 200 }, (_, i) => new AuditTrail(dataSource).record({ kind: "service.down", subject: "agent", message: `${host} ${i}` })));
    await Promise.all([write(nas, "nas"), write(pi, "pi")]);

    // Each monitor reads its own rows; the table holds both hosts' 200.
    expect(await nas.getRepository(AuditEvent).count()).toBe(200);
    expect(await pi.getRepository(AuditEvent).count()).toBe(200);
    const all = (await nas.query(`SELECT "host", count(*)::int AS n, count(DISTINCT "message")::int AS distinct FROM "events" GROUP BY "host" ORDER BY "host"`)) as unknown[];
    expect(all).toEqual([
      { host: "nas", n: 200, distinct: 200 },
      { host: "pi", n: 200, distinct: 200 },
    ]);
  });

  it("keeps each host's state, mutes and incidents apart, and /history shows this host or every host", async () => {
    const { nas, pi } = await twoHosts();
    const at = new Date("2026-11-25T10:00:00.000Z");
    await new StateStore(nas).set("heartbeat.last", "nas beat");
    await new StateStore(pi).set("heartbeat.last", "pi beat");
    await new StateStore(pi).set("heartbeat.last", "pi beat 2");
    expect(await new StateStore(nas).get("heartbeat.last")).toBe("nas beat");
    expect(await new StateStore(pi).get("heartbeat.last")).toBe("pi beat 2");

    await nas.getRepository(Mute).save({ subject: "agent", until: at, mutedBy: "telegram:1", createdAt: at });
    await pi.getRepository(Mute).save({ subject: "agent", until: at, mutedBy: "telegram:2", createdAt: at });
    await pi.getRepository(Mute).delete({ subject: "agent" });
    expect(await nas.getRepository(Mute).find()).toMatchObject([{ subject: "agent", mutedBy: "telegram:1", host: "nas" }]);
    expect(await pi.getRepository(Mute).find()).toEqual([]);

    const incident = (openedAt: Date) => ({ key: "service:agent:down", subjectKind: "service", subjectName: "agent", condition: "down", status: "open", openedAt });
    await nas.getRepository(Incident).save(incident(at));
    await pi.transaction((manager) => manager.getRepository(Incident).save(incident(new Date(at.getTime() + 60_000))));
    // The ledger looks up the open incident of a condition key: each host finds its own.
    expect(await nas.getRepository(Incident).findOneByOrFail({ key: "service:agent:down", status: "open" })).toMatchObject({ host: "nas" });
    expect(await pi.transaction((manager) => manager.getRepository(Incident).findOneByOrFail({ key: "service:agent:down", status: "open" }))).toMatchObject({ host: "pi" });

    const mine = await readHistoryPage(nas, { subject: "agent", page: 0, perPage: 10, isTask: false });
    expect(mine.entries.map((e) => e.kind)).toEqual(["incident"]);
    expect(mine.entries[0].host).toBeUndefined();
    const everyHost = await readHistoryPage(nas, { subject: "agent", page: 0, perPage: 10, isTask: false, host: ALL_HOSTS });
    expect(everyHost.entries.map((e) => [e.kind, e.host])).toEqual([
      ["incident", "pi"],
      ["incident", "nas"],
    ]);
    const onePi = await readHistoryPage(nas, { subject: null, page: 0, perPage: 10, isTask: false, host: "pi" });
    expect(onePi.entries.map((e) => e.host)).toEqual(["pi"]);
  });

  it("runs an approval's whole life on PostgreSQL: create, post, decide once, show the outcome once, expire another", async () => {
    const { nas } = await twoHosts();
    let clock = Date.parse("2026-11-25T12:00:00.000Z");
    const requests = new ApprovalRequests({ dataSource: nas, audit: new AuditTrail(nas, () => new Date(clock)), defaultTimeoutMs: 600_000, now: () => new Date(clock) });
    const deploy = await requests.create({ title: "deploy" });
    const other = await requests.create({ title: "reboot", timeoutSeconds: 60 });
    expect(await requests.markPosted(deploy.id, -1001234567890, 77)).toBe(true);
    expect(await requests.markPosted(deploy.id, -1001234567890, 78)).toBe(false);
    expect(await requests.decide(deploy.id, "approved", { actor: "telegram:1", label: "Alice (1)" })).toMatchObject({ kind: "decided" });
    expect(await requests.decide(deploy.id, "denied", { actor: "telegram:2", label: "Bob (2)" })).not.toMatchObject({ kind: "decided" });
    expect(await requests.claimOutcome(deploy.id)).toBe(true);
    expect(await requests.claimOutcome(deploy.id)).toBe(false);
    clock += 61_000;
    expect((await requests.expireDue()).map((r) => r.id)).toEqual([other.id]);
    requests.close();
  });
});
