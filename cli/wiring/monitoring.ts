import { readFileSync } from "node:fs";
import { Outbox } from "../../alerts/outbox.js";
import { OutboxDelivery } from "../../alerts/deliver-outbox.js";
import { MuteList } from "../../alerts/mute-list.js";
import { startReport } from "../../alerts/start-notice.js";
import { metricsRoutes } from "../../api/metrics-routes.js";
import { createAlertSender } from "../../bot/alert-sender.js";
import { Incident } from "../../entities/incident.js";
import { OutboxMessage } from "../../entities/outbox-message.js";
import { deliverJob } from "../../jobs/deliver.js";
import { heartbeatJob } from "../../jobs/heartbeat.js";
import { LAST_HEARTBEAT_KEY } from "../../entities/state-store.js";
import { probeJob } from "../../jobs/probe.js";
import { retentionJob } from "../../jobs/retention.js";
import { BACKUP_CHECK_EVERY_MS, backupJob } from "../../jobs/backup.js";
import { parseBootTime, portableBootTime } from "../../monitor/host-figures.js";
import { IncidentRecorder } from "../../incidents/incident-recorder.js";
import type { LatestSnapshot } from "../../monitor/latest-snapshot.js";
import { MonitorEngine } from "../../incidents/monitor-engine.js";
import { registerMonitorMetrics } from "../../jobs/monitor-metrics.js";
import { createProbe } from "../../monitor/probe.js";
import { SampleRecorder } from "../../queries/sample-recorder.js";
import { ServiceRestarter } from "../../incidents/service-restarter.js";
import type { CoreServices, FeatureWiring } from "../feature.js";

/** The jobs this feature schedules. */
export const MONITORING_JOBS = { probe: "probe", deliver: "deliver", heartbeat: "heartbeat", retention: "retention", backup: "backup" } as const;
/** Where the host's boot time is remembered between runs (to tell a reboot). */
const BOOT_TIME_KEY = "host.bootTime";
const DELIVER_EVERY_MS = 1000;
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

  // Read before any job can run: the first heartbeat overwrites the last one of the previous run.
  const previousRun = Promise.all([state.get<string>(LAST_HEARTBEAT_KEY), state.get<string>(BOOT_TIME_KEY)]);

  let deliveryScheduled = false;
  const outbox = new Outbox(dataSource, settings.telegram.chat, now, () => {
    if (deliveryScheduled) void scheduler.runNow(MONITORING_JOBS.deliver);
  });
  const mutes = new MuteList(dataSource, audit, now);
  const probe = createProbe({ homeDir: paths.home, services: settings.services, selfPid: process.pid, redact: core.redact });
  const counters = registerMonitorMetrics(core.metrics, {
    latest: options.latest,
    outboxPending: () => dataSource.getRepository(OutboxMessage).countBy({ status: "pending" }),
    openIncidents: () => dataSource.getRepository(Incident).countBy({ status: "open" }),
    jobStats: () => scheduler.stats(),
    now,
  });
  const recorder = new IncidentRecorder({ dataSource, audit, outbox, state, services: settings.services });
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
    logger,
    now,
  });
  const delivery = new OutboxDelivery({
    dataSource,
    audit,
    send: createAlertSender(core.api, now),
    mutes,
    logger,
    now,
    onOutcome: (outcome, rows) => counters.deliveries.inc({ outcome }, rows),
  });
  const restarter = new ServiceRestarter({ home: paths.home, tmpDir: paths.tmpDir, audit, redact: core.redact });
  const heartbeat = heartbeatJob({ state, logger, url: settings.heartbeat.url, now });
  const backups = !config.env.databaseUrl && settings.backup.everyMs > 0;
  const subjects = [...settings.services.map((s) => s.name), ...settings.tasks.map((t) => t.name)];

  return {
    outbox,
    engine,
    mutes,
    chat: {
      mute: { mutes, subjects, now },
      incidentButtons: { engine, mutes, restarter, services: settings.services, dataSource, logger, now },
    },
    routes: [metricsRoutes(core.metrics)],
    schedule(jobs) {
      jobs.every(MONITORING_JOBS.probe, settings.probe.everyMs, probeJob({ engine, logger, metrics: counters }));
      jobs.every(MONITORING_JOBS.deliver, DELIVER_EVERY_MS, deliverJob({ delivery, logger }));
      jobs.every(MONITORING_JOBS.heartbeat, settings.heartbeat.everyMs, async () => {
        await previousRun;
        await heartbeat();
      });
      jobs.every(MONITORING_JOBS.retention, RETENTION_EVERY_MS, retentionJob({ dataSource, ...settings.retention, logger, now }));
      // gaia.db only: a PostgreSQL database (DATABASE_URL) is backed up with its own tools.
      if (backups) jobs.every(MONITORING_JOBS.backup, BACKUP_CHECK_EVERY_MS, backupJob({ dataSource, databaseFile: paths.database, ...settings.backup, logger, now }));
      deliveryScheduled = true;
    },
    async started() {
      const [lastBeat, previousBoot] = await previousRun;
      await scheduler.runNow(MONITORING_JOBS.heartbeat);
      const bootTime = currentBootTime();
      const report = startReport({
        now: now(),
        lastBeat: lastBeat ? new Date(lastBeat) : undefined,
        heartbeatEveryMs: settings.heartbeat.everyMs,
        previousBootTime: previousBoot ? new Date(previousBoot) : undefined,
        bootTime,
        services: settings.services.map((s) => s.name),
      });
      if (report.monitorDown) {
        await audit.record({
          kind: "monitor.down",
          message: `The monitor was not running from ${report.monitorDown.from.toISOString()} to ${report.monitorDown.to.toISOString()}`,
          details: { from: report.monitorDown.from.toISOString(), to: report.monitorDown.to.toISOString() },
        });
      }
      if (report.hostRebooted) {
        await audit.record({ kind: "host.rebooted", message: `The host rebooted at ${bootTime.toISOString()}`, details: { bootTime: bootTime.toISOString() } });
      }
      await state.set(BOOT_TIME_KEY, bootTime.toISOString());
      await outbox.enqueue({ kind: "notice", payload: report.notice });
      // The first snapshot now rather than one period from now: /status and the rules start at once.
      await scheduler.runNow(MONITORING_JOBS.probe);
      await scheduler.runNow(MONITORING_JOBS.retention);
      // In the background: a backup due since before the restart is taken now, without delaying start-up.
      if (backups) void scheduler.runNow(MONITORING_JOBS.backup);
    },
  };
}

/** The host's boot time: exact from /proc/stat where there is one, else now minus uptime. */
function currentBootTime(): Date {
  try {
    return parseBootTime(readFileSync("/proc/stat", "latin1")) ?? portableBootTime(Date.now());
  } catch {
    return portableBootTime(Date.now());
  }
}
