import { openMaintenance } from "../../monitor/maintenance-windows.js";
import { Outbox } from "../../alerts/outbox.js";
import { OutboxDelivery } from "../../alerts/deliver-outbox.js";
import { HeldDelivery } from "../../alerts/deliver-held.js";
import { HeldAlerts } from "../../alerts/held-alerts.js";
import { MuteList } from "../../alerts/mute-list.js";
import { announceStart } from "../../alerts/start-notice.js";
import { reportStorageChanges } from "../../alerts/storage-notices.js";
import { metricsRoutes } from "../../api/metrics-routes.js";
import { createAlertSender } from "../../bot/alert-sender.js";
import { deliveryFits } from "../../bot/render/alert.js";
import { Incident } from "../../entities/incident.js";
import { OutboxMessage } from "../../entities/outbox-message.js";
import { deliverJob } from "../../jobs/deliver.js";
import { NextRun } from "../../jobs/next-run.js";
import { heartbeatJob } from "../../jobs/heartbeat.js";
import { digestJob } from "../../jobs/digest.js";
import { probeJob } from "../../jobs/probe.js";
import { retentionJob } from "../../jobs/retention.js";
import { BACKUP_CHECK_EVERY_MS, backupJob } from "../../jobs/backup.js";
import { readBootTime } from "../../monitor/host-figures.js";
import { IncidentRecorder } from "../../incidents/incident-recorder.js";
import type { LatestSnapshot } from "../../monitor/latest-snapshot.js";
import { MonitorEngine } from "../../incidents/monitor-engine.js";
import { registerMonitorMetrics } from "../../jobs/monitor-metrics.js";
import { mountPointOf } from "../../monitor/mount-point.js";
import { packageVersion } from "../package-version.js";
import { createProbe, unitProbeOptions } from "../../monitor/probe.js";
import { SampleRecorder } from "../../queries/sample-recorder.js";
import { ServiceRestarter } from "../../incidents/service-restarter.js";
import type { CoreServices, FeatureWiring } from "../feature.js";

/** The jobs this feature schedules. */
export const MONITORING_JOBS = { probe: "probe", deliver: "deliver", heartbeat: "heartbeat", retention: "retention", backup: "backup", digest: "digest" } as const;
/** The delivery's safety sweep: it runs as soon as a row is enqueued (see jobs/deliver.ts). */
const DELIVER_SWEEP_EVERY_MS = 30_000;
const RETENTION_EVERY_MS = 60 * 60_000;

/** What other features may use of the monitoring: the outbox (task alerts), the engine, the mutes. */
export interface MonitoringWiring extends FeatureWiring {
  outbox: Outbox;
  engine: MonitorEngine;
  mutes: MuteList;
}

/**
 * The monitoring engine (issue 4): the probe job (probe → rules → incidents, audit, outbox, state,
 * samples), delivery of the outbox to Telegram, the heartbeat with its start notice, retention,
 * /mute and /unmute, the alert buttons (Ack, Mute 1h, Restart) and `GET /metrics`.
 */
export function wireMonitoring(core: CoreServices, options: { latest: LatestSnapshot }): MonitoringWiring {
  const { config, dataSource, audit, state, scheduler, logger, now } = core;
  const { settings, paths } = config;

  // A queued row is delivered at once, not on the next tick of the delivery job.
  const outbox = new Outbox(dataSource, settings.telegram.chat, now, () => scheduler.runSoon(MONITORING_JOBS.deliver));
  // A retry after a backoff or a 429, or the next message of a backlog: at the moment it is due.
  const nextDelivery = new NextRun(() => scheduler.runSoon(MONITORING_JOBS.deliver));
  const mutes = new MuteList(dataSource, audit, now);
  // Endpoint and container checks run in the background every probe.every; a cycle never waits for one.
  const probe = createProbe({ homeDir: paths.home, services: settings.services, ...(settings.docker ? { dockerSocket: settings.docker.socket } : {}), ...unitProbeOptions(config), ...(settings.host.disks ? { disks: settings.host.disks } : {}), selfPid: process.pid, redact: core.redact, checkEveryMs: settings.probe.everyMs });
  const counters = registerMonitorMetrics(core.metrics, {
    latest: options.latest,
    outboxPending: () => dataSource.getRepository(OutboxMessage).countBy({ status: "pending" }),
    openIncidents: () => dataSource.getRepository(Incident).countBy({ status: "open" }),
    jobStats: () => scheduler.stats(),
    now,
    diskMountpoint: mountPointOf(paths.home),
    version: packageVersion(),
  });
  // A full disk: alerts wait in memory and are sent from there (see incident-recorder.ts).
  const held = new HeldAlerts();
  const recorder = new IncidentRecorder({ dataSource, audit, outbox, state, services: settings.services, held, logger });
  const engine = new MonitorEngine({
    settings,
    probe,
    recorder,
    latest: options.latest,
    mutes,
    state,
    dataSource,
    audit,
    samples: new SampleRecorder({ dataSource, probeEveryMs: settings.probe.everyMs }),
    outbox,
    logger,
    now,
  });
  const send = createAlertSender(core.api, now);
  const heldDelivery = new HeldDelivery({ held, send, chatId: settings.telegram.chat, logger, now });
  reportStorageChanges({ storage: core.storage, held, audit, logger, database: paths.database, deliverSoon: () => scheduler.runSoon(MONITORING_JOBS.deliver) });
  const delivery = new OutboxDelivery({
    dataSource,
    audit,
    send,
    mutes,
    logger,
    now,
    fits: (message) => deliveryFits(message, now()),
    onOutcome: (outcome, rows) => counters.deliveries.inc({ outcome }, rows),
  });
  const restarter = new ServiceRestarter({ home: paths.home, tmpDir: paths.tmpDir, audit, redact: core.redact, ...(settings.docker ? { dockerSocket: settings.docker.socket } : {}), ...(config.env.systemBusAddress ? { systemBusAddress: config.env.systemBusAddress } : {}) });
  // gaia.db only: a PostgreSQL database (DATABASE_URL) is backed up with its own tools.
  const backups = !config.env.databaseUrl && settings.backup.everyMs > 0;
  const subjects = [...settings.services.map((s) => s.name), ...settings.tasks.map((t) => t.name)];

  return {
    outbox,
    engine,
    mutes,
    chat: {
      mute: { mutes, subjects, now, maintenance: (at: Date) => openMaintenance(settings.maintenance ?? [], at) },
      incidentButtons: { engine, mutes, restarter, services: settings.services, dataSource, logger, now },
    },
    routes: [metricsRoutes(core.metrics)],
    jobs: [
      { name: MONITORING_JOBS.heartbeat, every: settings.heartbeat.everyMs, run: heartbeatJob({ state, logger, url: settings.heartbeat.url, now }), atStart: true },
      // The first snapshot at start rather than one period later: /status and the rules start at once.
      { name: MONITORING_JOBS.probe, every: settings.probe.everyMs, run: probeJob({ engine, logger, metrics: counters }), atStart: true },
      { name: MONITORING_JOBS.deliver, every: DELIVER_SWEEP_EVERY_MS, run: deliverJob({ delivery, held: heldDelivery, storage: core.storage, logger, now, runAgainIn: (ms) => nextDelivery.in(ms) }) },
      ...(settings.digest
        ? [{ name: MONITORING_JOBS.digest, every: settings.digest.cron, run: digestJob({ dataSource, outbox, always: settings.digest.always, logger, now }) }]
        : []),
      { name: MONITORING_JOBS.retention, every: RETENTION_EVERY_MS, run: retentionJob({ dataSource, ...settings.retention, logger, now }), atStart: true },
      // A backup due since before the restart is taken at start, without delaying start-up.
      ...(backups
        ? [{ name: MONITORING_JOBS.backup, every: BACKUP_CHECK_EVERY_MS, run: backupJob({ dataSource, databaseFile: paths.database, ...settings.backup, logger, now }), atStart: "in background" as const }]
        : []),
    ],
    stop: async () => {
      nextDelivery.cancel();
      probe.close?.();
    },
    started: () =>
      announceStart({
        state,
        audit,
        outbox,
        bootTime: readBootTime(),
        heartbeatEveryMs: settings.heartbeat.everyMs,
        services: settings.services.map((s) => s.name),
        now,
      }),
  };
}
