import { formatDuration } from "../../config/durations.js";
import type { ServiceStatus, StatusReport, TaskStatus } from "../../queries/status-report.js";
import { statusButton } from "../callback-data.js";
import { formatBytes, formatClockSeconds, formatDateTime, formatMoment, formatPercent } from "./figures.js";
import { escapeHtml, html, TELEGRAM_TEXT_LIMIT, type RenderedMessage } from "./html.js";
import { fitBlocks, pageOf, truncatePlain } from "./paginate.js";
import { sparkline } from "./sparkline.js";

/** Services and tasks per page of /status: 20 rows of at most ~150 characters leave room for the rest. */
export const STATUS_ROWS_PER_PAGE = 20;
const MAX_INCIDENTS = 10;
const MAX_APPROVALS = 5;
const MAX_PIDS = 2;

export interface RenderStatusOptions {
  /** Which page of the services and tasks (0-based). */
  page?: number;
  /** Rows of services and tasks per page; Infinity for one long text (`gaia status`). */
  perPage?: number;
  /** Longest text; Infinity outside Telegram. */
  limit?: number;
  /** Whether to add the Refresh and paging buttons (not in the terminal). */
  buttons?: boolean;
}

type Row = { section: "services" | "tasks"; html: string };

/**
 * The /status message: the host's figures (with last-hour sparklines), open incidents, pending
 * approvals, every service and task (down ones first, paged), the last heartbeat and the next
 * rotation, and a Refresh button. Times are the host's local time; durations count to the probe.
 */
export function renderStatus(report: StatusReport, options: RenderStatusOptions = {}): RenderedMessage {
  const perPage = options.perPage ?? STATUS_ROWS_PER_PAGE;
  const limit = options.limit ?? TELEGRAM_TEXT_LIMIT;
  const reference = report.measuredAt ? new Date(report.measuredAt) : undefined;
  const when = (iso: string) => (reference ? formatMoment(new Date(iso), reference) : formatDateTime(new Date(iso)));

  const head: string[] = [html`<b>Gaia · ${report.hostname}</b>`, hostBlock(report)];
  for (const window of report.maintenance ?? []) {
    head.push(html`🔧 Maintenance until ${when(window.until)}: ${window.services.join(", ")} (alerts silenced)`);
  }
  if (report.incidents.length > 0) {
    head.push("", `<b>Open incidents</b> (${report.incidents.length})`);
    for (const incident of report.incidents.slice(0, MAX_INCIDENTS)) {
      const flags = [incident.acknowledged ? "acknowledged" : "", incident.muted ? "muted" : ""].filter(Boolean);
      const lasted = reference ? ` (${formatDuration(reference.getTime() - Date.parse(incident.openedAt))})` : "";
      head.push(
        `${incidentIcon(incident.condition)} ${html`<b>${incident.subjectName}</b> ${incident.condition}${typeof incident.figures?.mount === "string" ? ` ${incident.figures.mount}` : ""} since ${when(incident.openedAt)}`}${lasted}${flags.length ? ` · ${flags.join(", ")}` : ""}`,
      );
    }
    if (report.incidents.length > MAX_INCIDENTS) head.push(`… and ${report.incidents.length - MAX_INCIDENTS} more (/history)`);
  }
  if (report.approvals.length > 0) {
    head.push("", `<b>Pending approvals</b> (${report.approvals.length})`);
    for (const approval of report.approvals.slice(0, MAX_APPROVALS)) {
      const from = approval.requester ? html` · from ${truncatePlain(approval.requester, 40)}` : "";
      head.push(html`⏳ <b>${truncatePlain(approval.title, 80)}</b>` + from + html` · until ${when(approval.expiresAt)}`);
    }
    if (report.approvals.length > MAX_APPROVALS) head.push(`… and ${report.approvals.length - MAX_APPROVALS} more (/approvals)`);
  }

  const rows: Row[] = [
    ...orderServices(report.services).map((s): Row => ({ section: "services", html: serviceRow(s, when, reference) })),
    ...report.tasks.map((t): Row => ({ section: "tasks", html: taskRow(t, when) })),
  ];
  const page = pageOf(rows, options.page ?? 0, perPage);
  const list: string[] = [];
  for (const section of ["services", "tasks"] as const) {
    const mine = page.items.filter((row) => row.section === section);
    if (mine.length === 0) continue;
    list.push("", sectionTitle(section, report, page.pages > 1));
    list.push(...mine.map((row) => row.html));
  }
  if (rows.length === 0) list.push("", "<i>No services or tasks configured: add them to gaia.yml.</i>");

  const footer = ["", footerLine(report, when)];
  if (page.pages > 1) footer.push(`<i>Services and tasks: page ${page.page + 1} of ${page.pages}.</i>`);

  const headText = head.join("\n");
  const footText = footer.join("\n");
  const room = limit - headText.length - footText.length - 2;
  const listText = fitBlocks(list, { limit: room, note: (n) => `<i>… ${n} more line(s) cut to fit Telegram's limit (gaia status shows all).</i>` });
  const text = [headText, listText, footText].filter((part) => part !== "").join("\n");

  if (options.buttons === false) return { text };
  const buttons = [];
  if (page.page > 0) buttons.push({ text: "‹ Prev", callback_data: statusButton(page.page - 1) });
  buttons.push({ text: "🔄 Refresh", callback_data: statusButton(page.page) });
  if (page.page < page.pages - 1) buttons.push({ text: "Next ›", callback_data: statusButton(page.page + 1) });
  return { text, reply_markup: { inline_keyboard: [buttons] } };
}

function hostBlock(report: StatusReport): string {
  const host = report.host;
  if (!host) return "<i>Waiting for the first probe of the host…</i>";
  const line = (label: string, value: string, chart = "") => `${label.padEnd(7)}${chart ? `${value.padEnd(5)} ${chart}` : value}`;
  const lines = [
    line("CPU", formatPercent(host.cpuPercent), sparkline(host.lastHour.cpu)),
    line("Memory", formatPercent(host.memoryPercent), sparkline(host.lastHour.memory)),
    `${"".padEnd(7)}${formatBytes(host.memoryUsedBytes)} of ${formatBytes(host.memoryTotalBytes)}`,
    ...(host.disks
      ? host.disks.map((disk) =>
          disk.mounted
            ? line("Disk", formatPercent(disk.percent), `${formatBytes(disk.usedBytes)} of ${formatBytes(disk.totalBytes)}  ${disk.path}`)
            : line("Disk", `${disk.path} not mounted`),
        )
      : [line("Disk", formatPercent(host.diskPercent), `${formatBytes(host.diskUsedBytes)} of ${formatBytes(host.diskTotalBytes)}`)]),
    line("Load", host.load.map((l) => l.toFixed(2)).join(" ")),
    line("Uptime", formatDuration(host.uptimeSeconds * 1000)),
  ];
  const over = (["cpu", "memory", "disk"] as const)
    .filter((k) => !(k === "disk" && host.disks) && host[`${k}Percent`] >= host.thresholds[k])
    .map((k) => `${k} ${host.thresholds[k]}%`);
  for (const disk of host.disks ?? []) if (disk.mounted && disk.percent >= host.thresholds.disk) over.push(`disk ${disk.path} ${host.thresholds.disk}%`);
  const warning = over.length ? `\n🟠 at or above the threshold: ${escapeHtml(over.join(", "))}` : "";
  const hasChart = host.lastHour.cpu.some((v) => v !== null);
  const legend = hasChart ? `\n<i>CPU is % of all cores; charts: the last hour, ${host.lastHour.bucketMinutes} min a bar.</i>` : "\n<i>CPU is % of all cores.</i>";
  return `<pre>${escapeHtml(lines.join("\n"))}</pre>${legend}${warning}`;
}

function orderServices(services: readonly ServiceStatus[]): ServiceStatus[] {
  // Down first, so that on a long list they are on page 1; then not yet probed, then up; config order within.
  const rank = { down: 0, unknown: 1, up: 2 } as const;
  return services
    .map((service, index) => ({ service, index }))
    .sort((a, b) => rank[a.service.state] - rank[b.service.state] || a.index - b.index)
    .map(({ service }) => service);
}

function sectionTitle(section: "services" | "tasks", report: StatusReport, paged: boolean): string {
  if (section === "tasks") return `<b>Tasks</b> (${report.tasks.length})`;
  const up = report.services.filter((s) => s.state === "up").length;
  return `<b>Services</b> (${up} of ${report.services.length} up${paged ? "; down ones first" : ""})`;
}

function serviceRow(service: ServiceStatus, when: (iso: string) => string, reference: Date | undefined): string {
  const parts: string[] = [];
  const endpoint = service.endpoint;
  if (service.unit) {
    if (service.state === "down" && service.downSince) parts.push(`down since ${when(service.downSince)}`);
    parts.push(unitState(service.unit));
    if (service.state === "up") {
      if (service.uptimeSeconds !== null) parts.push(`up ${formatDuration(service.uptimeSeconds * 1000)}`);
      if (service.unit.mainPid !== null) parts.push(`main pid ${service.unit.mainPid}`);
      if (service.pids.length > 1) parts.push(`${service.pids.length} processes`);
      // A oneshot between runs has no processes: no figures to show.
      if (service.pids.length > 0) {
        if (service.cpuPercent !== null) parts.push(`CPU ${formatPercent(service.cpuPercent)}`);
        if (service.memoryBytes !== null) parts.push(formatBytes(service.memoryBytes));
      }
    }
    if (service.unit.restarts > 0 && service.unit.subState !== "auto-restart") parts.push(`${service.unit.restarts} restart(s)`);
  } else if (service.container) {
    if (service.state === "down" && service.downSince) parts.push(`down since ${when(service.downSince)}`);
    parts.push(containerState(service.container));
    if (service.state === "up") {
      if (service.uptimeSeconds !== null) parts.push(`up ${formatDuration(service.uptimeSeconds * 1000)}`);
      if (service.cpuPercent !== null) parts.push(`CPU ${formatPercent(service.cpuPercent)}`);
      if (service.memoryBytes !== null) parts.push(formatBytes(service.memoryBytes));
    }
    if (service.container.restartCount > 0) parts.push(`${service.container.restartCount} restart(s)`);
  } else if (endpoint) {
    if (service.state === "down" && service.downSince) parts.push(`down since ${when(service.downSince)}`);
    parts.push(...endpointParts(service.state, endpoint, when));
  } else if (service.state === "up") {
    parts.push(service.uptimeSeconds !== null ? `up ${formatDuration(service.uptimeSeconds * 1000)}` : "up");
    const shown = service.pids.slice(0, MAX_PIDS).join(", ");
    const more = service.pids.length > MAX_PIDS ? ` +${service.pids.length - MAX_PIDS}` : "";
    parts.push(`${service.pids.length > 1 ? "pids" : "pid"} ${shown}${more}`);
    if (service.cpuPercent !== null) parts.push(`CPU ${formatPercent(service.cpuPercent)}`);
    if (service.memoryBytes !== null) parts.push(formatBytes(service.memoryBytes));
  } else if (service.state === "down") {
    const lasted = service.downSince && reference ? ` (${formatDuration(reference.getTime() - Date.parse(service.downSince))})` : "";
    parts.push(service.downSince ? `down since ${when(service.downSince)}${lasted}` : "down");
  } else {
    // An endpoint or container whose background check has not answered yet since start.
    parts.push(service.checkedAt === null ? "not checked yet" : "not probed yet");
  }
  if (service.mutedUntil) parts.push(`🔕 muted until ${when(service.mutedUntil)}`);
  const icon = service.state === "up" ? "🟢" : service.state === "down" ? "🔴" : "⚪";
  return `${icon} ${html`<b>${service.name}</b>`} · ${escapeHtml(parts.join(" · "))}`;
}

/** Docker's state of a container, in words. */
export function containerState(container: NonNullable<ServiceStatus["container"]>): string {
  switch (container.state) {
    case "running":
      return container.health === "healthy" ? "running, healthy" : "running";
    case "unhealthy":
      return "running but unhealthy (its HEALTHCHECK fails)";
    case "restarting":
      return "restarting in a loop";
    case "exited":
      return container.exitCode !== null ? `exited with code ${container.exitCode}` : "exited";
    case "missing":
      return "no such container";
    case "unreachable":
      if (container.problem === "ETIMEDOUT" && container.timeoutMs !== null) return `Docker did not answer within ${formatDuration(container.timeoutMs)}`;
      return `Docker not reachable (${container.problem ?? "no answer"}; gaia check says what to grant)`;
    default:
      return container.state;
  }
}

/** What systemd says of a unit, as the words of /status and alerts; see unitState. */
export interface UnitStateFacts {
  activeState: string;
  subState: string;
  loadState?: string | null;
  type?: string | null;
  result?: string | null;
  restarts: number;
  exitStatus?: number | null;
  signal?: number | null;
  problem?: string | null;
}

/**
 * systemd's state of a unit, in words: "active (running)", "failed (exit 1)", "activating
 * (auto-restart, 3 restarts)", "inactive (last run succeeded)" for a oneshot between runs.
 */
export function unitState(unit: UnitStateFacts): string {
  const how = unitEnding(unit);
  switch (unit.activeState) {
    case "unknown":
      return `systemd not reachable (${systemdProblem(unit.problem ?? null)}; gaia check says what to do)`;
    case "missing":
      return "no such unit";
    case "inactive":
    case "failed":
      if (unit.loadState === "masked") return "masked";
      break;
  }
  switch (unit.activeState) {
    case "failed":
      return how ? `failed (${how})` : "failed";
    case "activating":
      if (unit.subState === "auto-restart") return `activating (auto-restart, ${unit.restarts} ${unit.restarts === 1 ? "restart" : "restarts"}${how ? `; ${how}` : ""})`;
      return unit.type === "oneshot" ? `running (oneshot, ${unit.subState})` : `activating (${unit.subState})`;
    case "inactive":
      if (unit.type === "oneshot") return how || (unit.result && unit.result !== "success") ? `inactive, last run failed (${how ?? unit.result})` : "inactive (last run succeeded)";
      return `inactive (${unit.subState})`;
    default:
      return `${unit.activeState} (${unit.subState})`;
  }
}

/** How the main process ended: "exit 1", "signal 9", or systemd's Result when that says more ("timeout", "start-limit-hit"). */
function unitEnding(unit: UnitStateFacts): string | undefined {
  if (unit.result && !["success", "exit-code", "signal", "core-dump"].includes(unit.result)) return unit.result;
  if (unit.exitStatus !== undefined && unit.exitStatus !== null) return `exit ${unit.exitStatus}`;
  if (unit.signal !== undefined && unit.signal !== null) return `signal ${unit.signal}${unit.result === "core-dump" ? ", core dumped" : ""}`;
  return undefined;
}

/** Why systemd could not be asked, from the short problem code of monitor/systemd-bus.ts. */
export function systemdProblem(problem: string | null): string {
  switch (problem) {
    case "ENOENT":
    case "ECONNREFUSED":
      return "no system bus socket";
    case "EACCES":
    case "EPERM":
      return "gaia may not open the system bus socket";
    case "AccessDenied":
      return "the bus policy denies gaia's questions to systemd";
    case "ServiceUnknown":
    case "NameHasNoOwner":
      return "systemd is not on the system bus";
    case "timeout":
      return "no answer in time";
    case null:
      return "no answer";
    default:
      return problem;
  }
}

/** An endpoint's row: whether it answers, in how long, with which status, until when its certificate runs. */
function endpointParts(state: ServiceStatus["state"], endpoint: NonNullable<ServiceStatus["endpoint"]>, when: (iso: string) => string): string[] {
  const parts: string[] = [];
  const took = endpoint.responseMs !== null ? `${Math.round(endpoint.responseMs)} ms` : null;
  if (state === "up") parts.push(`answers${took ? ` in ${took}` : ""}`);
  else parts.push(endpointProblem(endpoint));
  if (endpoint.statusCode !== null && endpoint.problem !== "status") parts.push(`HTTP ${endpoint.statusCode}`);
  if (endpoint.certExpiresAt) parts.push(`certificate until ${when(endpoint.certExpiresAt)}`);
  return parts;
}

/** Why an endpoint counts as down, in words: "no answer within 10s", "wrong status 503"… */
export function endpointProblem(endpoint: Pick<NonNullable<ServiceStatus["endpoint"]>, "problem" | "statusCode" | "timeoutMs">): string {
  switch (endpoint.problem) {
    case "timeout":
      return endpoint.timeoutMs !== null ? `no answer within ${formatDuration(endpoint.timeoutMs)}` : "no answer in time";
    case "connection":
      return "connection refused or failed";
    case "status":
      return `wrong status${endpoint.statusCode !== null ? ` ${endpoint.statusCode}` : ""}`;
    case "content":
      return "expected text missing";
    default:
      return "not answering";
  }
}

function taskRow(task: TaskStatus, when: (iso: string) => string): string {
  const parts: string[] = [];
  const run = task.lastRun;
  let icon = "▫️";
  if (!run) {
    parts.push("no run yet");
  } else if (run.status === "running") {
    icon = "⏳";
    parts.push(`running since ${when(run.startedAt)}`);
  } else {
    const took = run.durationMs !== null ? `, took ${formatDuration(run.durationMs)}` : "";
    const result =
      run.status === "succeeded"
        ? "succeeded"
        : run.status === "timed-out"
          ? "timed out"
          : run.status === "lost"
            ? "lost (gaia run was killed before it could report)"
            : `failed${run.exitCode !== null ? ` (exit ${run.exitCode})` : ""}`;
    icon = run.status === "succeeded" ? "✅" : run.status === "timed-out" ? "⏱" : run.status === "lost" ? "❔" : "❌";
    parts.push(`last run ${when(run.startedAt)}${took}, ${result}`);
  }
  if (task.nextExpectedAt) parts.push(`${task.overdue ? "⚠️ overdue since" : "next by"} ${when(task.nextExpectedAt)}`);
  if (task.mutedUntil) parts.push(`🔕 muted until ${when(task.mutedUntil)}`);
  return `${icon} ${html`<b>${task.name}</b>`} · ${escapeHtml(parts.join(" · "))}`;
}

function footerLine(report: StatusReport, when: (iso: string) => string): string {
  const parts = [report.heartbeat.last ? `Heartbeat ${when(report.heartbeat.last)}` : "No heartbeat yet"];
  if (report.rotation) parts.push(report.rotation.next ? `next rotation ${when(report.rotation.next)}` : "rotation not scheduled");
  if (report.rotation?.tokenExpiresAt) parts.push(`GitHub token expires ${when(report.rotation.tokenExpiresAt)}`);
  if (report.mutes.some((m) => m.subject === "all")) parts.push(`🔕 all alerts muted until ${when(report.mutes.find((m) => m.subject === "all")!.until)}`);
  const asOf = report.measuredAt ? `figures of ${formatClockSeconds(new Date(report.measuredAt))}, probed every ${formatDuration(report.probeEveryMs)}` : "";
  return escapeHtml([...parts, asOf].filter(Boolean).join(" · "));
}

function incidentIcon(condition: string): string {
  return condition === "down" || condition === "failed" || condition === "mount" ? "🔴" : "🟠";
}
