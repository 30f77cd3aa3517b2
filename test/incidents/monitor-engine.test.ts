import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DataSource } from "typeorm";
import type { AlertPayload } from "../../alerts/alert.js";
import { MuteList } from "../../alerts/mute-list.js";
import { Outbox } from "../../alerts/outbox.js";
import { alertDetailLines } from "../../bot/render/alert-facts.js";
import { silentLogger } from "../../cli/logger.js";
import type { GaiaConfig, ServiceConfig } from "../../config/types.js";
import { AuditEvent } from "../../entities/audit-event.js";
import { AuditTrail } from "../../entities/audit-trail.js";
import { Incident } from "../../entities/incident.js";
import { OutboxMessage } from "../../entities/outbox-message.js";
import { StateStore } from "../../entities/state-store.js";
import { IncidentRecorder, RULES_STATE_KEY } from "../../incidents/incident-recorder.js";
import { LatestSnapshot } from "../../monitor/latest-snapshot.js";
import { HeldAlerts } from "../../alerts/held-alerts.js";
import { MonitorEngine } from "../../incidents/monitor-engine.js";
import type { Probe } from "../../monitor/probe.js";
import type { Snapshot } from "../../monitor/snapshot.js";
import { manualClock, tempDatabase } from "../helpers/temp-database.js";
import { fakeSnapshot } from "../monitor/fake-snapshot.js";

const AGENT: ServiceConfig = { name: "agent", match: { kind: "process", process: "node", args: "agent.js" }, restart: "systemctl restart agent" };
const DB: ServiceConfig = { name: "db", match: { kind: "port", port: 5432 } };

function settings(overrides: Partial<GaiaConfig> = {}): GaiaConfig {
  return {
    telegram: { admins: [1], chat: 1 },
    heartbeat: { everyMs: 60_000 },
    probe: { everyMs: 15_000 },
    host: { cpu: 90, memory: 90, disk: 90, sustain: 2 },
    services: [AGENT, DB],
    tasks: [],
    alerts: { remindMs: 3_600_000 },
    approvals: { timeoutMs: 600_000 },
    api: { host: "127.0.0.1", port: 8787, allowRemote: false },
    rotation: { schedule: "0 9 1 * *", approval: "required", stores: [] },
    retention: { eventsMs: 90 * 86_400_000, samplesMs: 7 * 86_400_000 },
    backup: { everyMs: 86_400_000, keep: 7, folder: "/tmp/gaia-test-backups" },
    ...overrides,
  };
}

describe("the monitor engine: probe → rules → incidents, audit, outbox and state", () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let dataSource: DataSource;
  let clock: ReturnType<typeof manualClock>;
  /** What the fake probe sees next: which services are up, and the host's CPU. */
  let world: { agent: boolean; db: boolean; cpu: number };
  beforeEach(async () => {
    db = await tempDatabase();
    dataSource = db.dataSource;
    clock = manualClock();
    world = { agent: true, db: true, cpu: 5 };
  });
  afterEach(() => db.close());

  function engine(config = settings(), outboxOverride?: Outbox, held?: HeldAlerts) {
    const audit = new AuditTrail(dataSource, clock.now);
    const state = new StateStore(dataSource, clock.now);
    const outbox = outboxOverride ?? new Outbox(dataSource, 1, clock.now);
    const mutes = new MuteList(dataSource, audit, clock.now);
    const probe: Probe = {
      sample: async (): Promise<Snapshot> =>
        fakeSnapshot({
          at: clock.now(),
          host: { cpuPercent: world.cpu },
          services: [
            { name: "agent", up: world.agent },
            { name: "db", up: world.db },
          ],
          top: [
            { pid: 11, name: "ffmpeg", commandLine: "ffmpeg -i movie.mkv", cpuPercent: 150, memoryBytes: 2e8, memoryPercent: 2 },
            { pid: 12, name: "node", commandLine: "node agent.js --token=[REDACTED]", cpuPercent: 30, memoryBytes: 1e8, memoryPercent: 1 },
            { pid: 13, name: "postgres", commandLine: "", cpuPercent: 20, memoryBytes: 5e8, memoryPercent: 5 },
            { pid: 14, name: "idle", commandLine: "idle", cpuPercent: 1, memoryBytes: 1e6, memoryPercent: 0 },
          ],
        }),
      stats: { scans: 0, fastCycles: 0, spawns: 0, fdScans: 0 },
    };
    const recorder = new IncidentRecorder({ dataSource, audit, outbox, state, services: config.services, ...(held ? { held } : {}) });
    const latest = new LatestSnapshot();
    const monitor = new MonitorEngine({ settings: config, probe, recorder, latest, mutes, state, dataSource, audit, logger: silentLogger(), now: clock.now });
    return { monitor, mutes, latest };
  }

  /** Runs `n` cycles, 15 s apart. */
  async function cycles(monitor: MonitorEngine, n: number) {
    for (let i = 0; i < n; i++) {
      clock.advance(15_000);
      await monitor.runCycle();
    }
  }
  const alerts = async () =>
    (await dataSource.getRepository(OutboxMessage).find({ order: { id: "ASC" } })).map((row) => row.payload as unknown as AlertPayload);
  const incidents = () => dataSource.getRepository(Incident).find({ order: { id: "ASC" } });

  it("on a full disk alerts from memory, moves on without repeating, and stores the held cycles (alerts as sent) once there is room", async () => {
    // gaia.db's transactions fail as on a full disk (the e2e test fills a real tmpfs); reads still work.
    let diskFull = false;
    const manager = dataSource.manager as unknown as { transaction: (...args: unknown[]) => Promise<unknown> };
    const transaction = manager.transaction.bind(manager);
    manager.transaction = (...args: unknown[]) =>
      diskFull ? Promise.reject(Object.assign(new Error("SqliteError: database or disk is full"), { code: "SQLITE_FULL" })) : transaction(...args);
    const held = new HeldAlerts();
    const { monitor } = engine(settings(), undefined, held);
    await cycles(monitor, 1);
    diskFull = true;
    world.agent = false;
    await cycles(monitor, 5);
    const said = () => held.peek(10).map((i) => (i.kind === "alert" ? `${i.payload.subject}:${i.payload.change}:${i.payload.incidentId}` : i.payload.title));
    // Said once, not on every cycle; no row yet, so no incident id (and no buttons).
    expect(said()).toEqual(["agent:opened:0"]);
    expect(await incidents()).toEqual([]);
    world.agent = true;
    await cycles(monitor, 1);
    expect(said()).toEqual(["agent:opened:0", "agent:resolved:0"]);

    diskFull = false;
    await cycles(monitor, 1);
    expect((await incidents()).map((i) => [i.key, i.status])).toEqual([["service:agent:down", "resolved"]]);
    const rows = await dataSource.getRepository(OutboxMessage).find({ order: { id: "ASC" } });
    expect(rows.map((r) => [(r.payload as unknown as AlertPayload).change, r.status])).toEqual([
      ["opened", "delivered"],
      ["resolved", "delivered"],
    ]);
    expect((await dataSource.getRepository(AuditEvent).find()).map((e) => e.kind)).toEqual(["service.down", "service.down.resolved"]);
  });

  it("with gaia.db locked by another process for long, alerts from memory too, and stores the cycles once the lock is released", async () => {
    let locked = false;
    const manager = dataSource.manager as unknown as { transaction: (...args: unknown[]) => Promise<unknown> };
    const transaction = manager.transaction.bind(manager);
    manager.transaction = (...args: unknown[]) =>
      locked ? Promise.reject(Object.assign(new Error("SqliteError: database is locked"), { code: "SQLITE_BUSY" })) : transaction(...args);
    const held = new HeldAlerts();
    const { monitor } = engine(settings(), undefined, held);
    await cycles(monitor, 1);
    locked = true;
    world.db = false;
    await cycles(monitor, 3);
    expect(held.peek(10).map((i) => (i.kind === "alert" ? `${i.payload.subject}:${i.payload.change}` : ""))).toEqual(["db:opened"]);
    locked = false;
    await cycles(monitor, 1);
    expect((await incidents()).map((i) => [i.key, i.status])).toEqual([["service:db:down", "open"]]);
    expect((await dataSource.getRepository(OutboxMessage).find()).map((r) => r.status)).toEqual(["delivered"]);
  });

  it("opens an incident after `sustain` missed probes: incident row, audit event, outbox row and state, together", async () => {
    const { monitor, latest } = engine();
    await cycles(monitor, 1);
    expect(latest.current()!.services.map((s) => s.up)).toEqual([true, true]);
    world.agent = false;
    world.db = false;
    await cycles(monitor, 1);
    expect(await alerts()).toEqual([]);
    await cycles(monitor, 1);

    const rows = await incidents();
    expect(rows.map((i) => [i.key, i.status, i.muted])).toEqual([
      ["service:agent:down", "open", false],
      ["service:db:down", "open", false],
    ]);
    const [agentAlert, dbAlert] = await alerts();
    expect(agentAlert).toMatchObject({ subjectKind: "service", subject: "agent", condition: "down", change: "opened", incidentId: rows[0].id });
    expect(alertDetailLines(agentAlert)).toEqual(["Watched by: process node with “agent.js” in its command line", "Also down: db"]);
    expect(agentAlert.actions).toEqual(["ack", "mute", "restart"]);
    expect(alertDetailLines(dbAlert)).toEqual(["Watched by: whatever listens on TCP port 5432", "Also down: agent"]);
    expect(dbAlert.actions).toEqual(["ack", "mute"]);
    const events = await dataSource.getRepository(AuditEvent).find({ order: { id: "ASC" } });
    expect(events.map((e) => [e.kind, e.subject, e.message])).toEqual([
      ["service.down", "agent", "agent is down"],
      ["service.down", "db", "db is down"],
    ]);
    const saved = (await new StateStore(dataSource).get<{ conditions: Record<string, { status: string }> }>(RULES_STATE_KEY))!;
    expect(saved.conditions["service:agent:down"].status).toBe("open");
  });

  it("after a restart, does not announce an incident that is still open, and announces one that recovered", async () => {
    const first = engine();
    await cycles(first.monitor, 1);
    world.agent = false;
    await cycles(first.monitor, 2);
    expect((await alerts()).map((a) => `${a.subject} ${a.change}`)).toEqual(["agent opened"]);

    // A new process: same gaia.db, fresh engine.
    const second = engine();
    await cycles(second.monitor, 5);
    expect((await alerts()).map((a) => `${a.subject} ${a.change}`)).toEqual(["agent opened"]);
    world.agent = true;
    await cycles(second.monitor, 1);
    const recovered = (await alerts()).at(-1)!;
    expect(recovered).toMatchObject({ subject: "agent", change: "resolved", durationMs: 7 * 15_000 - 15_000 });
    expect((await incidents()).map((i) => i.status)).toEqual(["resolved"]);
  });

  it("records a muted incident without sending it, and stays silent about its recovery", async () => {
    const { monitor, mutes } = engine();
    await mutes.mute("agent", new Date(clock.now().getTime() + 3_600_000), "telegram:1");
    await cycles(monitor, 1);
    world.agent = false;
    await cycles(monitor, 2);
    expect((await incidents()).map((i) => [i.key, i.muted])).toEqual([["service:agent:down", true]]);
    await mutes.unmute("agent", "telegram:1");
    world.agent = true;
    await cycles(monitor, 1);
    expect(await alerts()).toEqual([]);
    const kinds = (await dataSource.getRepository(AuditEvent).find({ order: { id: "ASC" } })).map((e) => e.kind);
    expect(kinds).toEqual(["alerts.muted", "service.down", "alerts.unmuted", "service.down.resolved"]);
  });

  it("reminds of a muted incident that outlives its mute, and then also tells its recovery", async () => {
    const { monitor, mutes } = engine(settings({ alerts: { remindMs: 60_000 } }));
    await mutes.mute("agent", new Date(clock.now().getTime() + 200_000), "telegram:1");
    await cycles(monitor, 1);
    world.agent = false;
    await cycles(monitor, 2);
    await cycles(monitor, 8); // two reminder periods inside the mute: nothing sent
    expect(await alerts()).toEqual([]);
    await cycles(monitor, 4); // the mute has ended: the next reminder speaks
    expect((await alerts()).map((a) => a.change)).toEqual(["reminder"]);
    world.agent = true;
    await cycles(monitor, 1);
    expect((await alerts()).map((a) => a.change)).toEqual(["reminder", "resolved"]);
  });

  it("stops reminders once an admin acknowledges, and answers stale acknowledgements politely", async () => {
    const { monitor } = engine(settings({ alerts: { remindMs: 60_000 } }));
    await cycles(monitor, 1);
    world.agent = false;
    await cycles(monitor, 2);
    await cycles(monitor, 4); // 60 s later: one reminder
    expect((await alerts()).map((a) => a.change)).toEqual(["opened", "reminder"]);
    expect((await alerts())[1].durationMs).toBe(60_000);

    const [incident] = await incidents();
    expect((await monitor.acknowledge(incident.id, "telegram:7")).kind).toBe("acknowledged");
    expect((await monitor.acknowledge(incident.id, "telegram:8")).kind).toBe("already");
    await cycles(monitor, 12);
    expect((await alerts()).map((a) => a.change)).toEqual(["opened", "reminder"]);
    const stored = (await incidents())[0];
    expect([stored.acknowledgedBy, stored.acknowledgedAt !== null]).toEqual(["telegram:7", true]);

    world.agent = true;
    await cycles(monitor, 1);
    expect((await monitor.acknowledge(incident.id, "telegram:7")).kind).toBe("resolved");
    expect((await monitor.acknowledge(99_999, "telegram:7")).kind).toBe("unknown");
  });

  it("reports a flapping service once, instead of every down and up, and once more when it settles", async () => {
    const { monitor } = engine();
    await cycles(monitor, 1);
    // Down for two probes, up for one, four times over: 8 down/up changes within 10 minutes.
    for (let i = 0; i < 4; i++) {
      world.agent = false;
      await cycles(monitor, 2);
      world.agent = true;
      await cycles(monitor, 1);
    }
    expect((await alerts()).map((a) => `${a.condition} ${a.change}`)).toEqual(["down opened", "down resolved", "down opened", "flapping opened"]);
    const flapping = (await alerts())[3];
    // It says whether the service is up at the moment (it is: the last probe saw it up).
    expect(alertDetailLines(flapping)).toEqual(["4 down/up changes in a short time; single down/up alerts pause until it settles.", "It is up now."]);
    // Ten quiet minutes later it has settled.
    await cycles(monitor, 41);
    expect((await alerts()).map((a) => `${a.condition} ${a.change}`).slice(4)).toEqual(["flapping resolved"]);
    expect(alertDetailLines((await alerts())[4])).toEqual(["It is up now."]);
  });

  it("names the three busiest processes in a host CPU alert, command lines as the probe redacted them", async () => {
    const { monitor } = engine();
    world.cpu = 97;
    await cycles(monitor, 2);
    const [cpu] = await alerts();
    expect(cpu).toMatchObject({ subjectKind: "host", condition: "cpu", figures: { value: 97, threshold: 90, unit: "%" } });
    // One tap must not mute everything: the host's alerts offer Ack only.
    expect(cpu.actions).toEqual(["ack"]);
    expect(alertDetailLines(cpu)).toEqual([
      "Top processes by CPU:",
      "1. ffmpeg -i movie.mkv (pid 11): 150% of one core",
      "2. node agent.js --token=[REDACTED] (pid 12): 30% of one core",
      "3. postgres (pid 13): 20% of one core",
    ]);
  });

  it("stores nothing of a cycle whose transaction fails, and the next cycle tries again", async () => {
    class FailingOnce extends Outbox {
      failed = false;
      override async enqueue(...args: Parameters<Outbox["enqueue"]>) {
        if (!this.failed) {
          this.failed = true;
          throw new Error("disk full");
        }
        return super.enqueue(...args);
      }
    }
    const outbox = new FailingOnce(dataSource, 1, clock.now);
    const { monitor } = engine(settings(), outbox);
    await cycles(monitor, 1);
    world.agent = false;
    await cycles(monitor, 1);
    clock.advance(15_000);
    await expect(monitor.runCycle()).rejects.toThrow("disk full");
    expect(await incidents()).toEqual([]);
    expect(await dataSource.getRepository(AuditEvent).count()).toBe(0);
    await cycles(monitor, 1);
    expect((await incidents()).map((i) => i.key)).toEqual(["service:agent:down"]);
    expect((await alerts()).map((a) => a.change)).toEqual(["opened"]);
  });

  it("closes incidents of a service removed from gaia.yml at the first cycle, without an alert", async () => {
    const first = engine();
    await cycles(first.monitor, 1);
    world.db = false;
    await cycles(first.monitor, 2);
    const second = engine(settings({ services: [AGENT] }));
    await cycles(second.monitor, 1);
    expect((await incidents()).map((i) => [i.key, i.status])).toEqual([["service:db:down", "resolved"]]);
    expect((await alerts()).map((a) => `${a.subject} ${a.change}`)).toEqual(["db opened"]);
  });
});
