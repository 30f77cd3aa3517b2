import { availableParallelism } from "node:os";
import { statusRoutes } from "../../api/status-routes.js";
import type { HistoryDeps } from "../../bot/features/history.js";
import { HISTORY_PER_PAGE } from "../../bot/render/history.js";
import { readHistoryPage } from "../../queries/history-timeline.js";
import type { LatestSnapshot } from "../../monitor/latest-snapshot.js";
import { createProbe } from "../../monitor/probe.js";
import { collectStatusReport } from "../../queries/status-report.js";
import { databaseStatusSources } from "../../queries/status-sources.js";
import { TopSampler } from "../../monitor/top-sampler.js";
import type { CoreServices, FeatureWiring } from "../feature.js";
import type { RotationView } from "./rotation.js";

/** A /status sent in the first seconds after start waits this long for the first probe. */
const FIRST_PROBE_WAIT_MS = 5_000;

/**
 * The everyday chat: what /status (also `GET /v1/status` and `gaia status`), /top and /history
 * read. Their handlers are in bot/features/.
 */
export function wireChat(core: CoreServices, options: { latest: LatestSnapshot; rotation?: RotationView }): FeatureWiring {
  const { config, dataSource, state, now } = core;
  const { settings } = config;
  const sources = databaseStatusSources({
    dataSource,
    state,
    latestSnapshot: () => options.latest.next(FIRST_PROBE_WAIT_MS),
    rotationSchedule: settings.github ? settings.rotation.schedule : undefined,
    ...(options.rotation ? { rotation: options.rotation } : {}),
  });
  const report = () => collectStatusReport(sources, settings, now());

  // /top has a probe of its own: its CPU figures cover the second before the answer, not the
  // monitoring probe's whole period, and sampling for /top never moves the rules' baseline.
  const topProbe = createProbe({ homeDir: config.paths.home, services: [], selfPid: process.pid, wholeTable: true, redact: core.redact });
  const top = new TopSampler({ sample: () => topProbe.sample(), cores: availableParallelism() });
  const view = top.view.bind(top);

  const subjects = new Set(["host", ...settings.services.map((s) => s.name), ...settings.tasks.map((t) => t.name)]);
  const tasks = new Set(settings.tasks.map((t) => t.name));
  const history: HistoryDeps = {
    history: (subject, page, host) => readHistoryPage(dataSource, { subject, page, perPage: HISTORY_PER_PAGE, isTask: subject !== null && tasks.has(subject), host }),
    isKnownSubject: (subject) => subjects.has(subject),
  };

  return {
    chat: { status: { report }, top: { view }, history },
    routes: [statusRoutes(report)],
  };
}
