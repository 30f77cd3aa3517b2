import type { TopView } from "../../monitor/top-sampler.js";
import { topButton } from "../callback-data.js";
import { formatBytes, formatBytesShort, formatClockSeconds, formatPercent } from "./figures.js";
import { escapeHtml, html, type RenderedMessage } from "./html.js";
import { truncatePlain } from "./paginate.js";

/** How much of a command line fits a phone's monospace line under its process. */
const COMMAND_WIDTH = 34;

/**
 * The /top message: a monospace table of the busiest processes (pid, CPU % of one core over
 * the last window, resident memory, name), each with its command line below it, and buttons to
 * switch the sort and refresh. Command lines are escaped, so `<b>&` shows as typed.
 */
export function renderTop(view: TopView): RenderedMessage {
  const by = view.order === "cpu" ? "CPU" : "memory";
  const pidWidth = Math.max(3, ...view.processes.map((p) => String(p.pid).length));
  const header = `${"PID".padStart(pidWidth)} ${"CPU%".padStart(5)} ${"MEM".padStart(5)} NAME`;
  const rows = view.processes.flatMap((p) => {
    const name = p.name.replace(/\s+/g, " ");
    const row = `${String(p.pid).padStart(pidWidth)} ${p.cpuPercent.toFixed(1).padStart(5)} ${formatBytesShort(p.memoryBytes).padStart(5)} ${name}`;
    // Already redacted by the probe, before this cut: half a token would no longer look like one.
    const command = p.commandLine.replace(/\s+/g, " ").trim();
    // A kernel thread has no command line; one that only repeats the name adds nothing.
    if (command === "" || command === name) return [row];
    return [row, `${" ".repeat(pidWidth + 1)}${truncatePlain(command, COMMAND_WIDTH)}`];
  });
  const table = view.processes.length > 0 ? `<pre>${escapeHtml([header, ...rows].join("\n"))}</pre>` : "<i>No processes found.</i>";
  const { host } = view;
  const text = [
    `<b>Top processes by ${by}</b> · ${formatClockSeconds(new Date(view.at))}`,
    escapeHtml(
      `Host CPU ${formatPercent(host.cpuPercent)} of ${host.cores} core${host.cores === 1 ? "" : "s"} · memory ${formatPercent(host.memoryPercent)} (${formatBytes(host.memoryUsedBytes)} of ${formatBytes(host.memoryTotalBytes)})`,
    ),
    table,
    `<i>CPU% is of one core, over the last ${(view.windowMs / 1000).toFixed(1)} s; MEM is resident memory.</i>`,
  ].join("\n");
  const other = view.order === "cpu" ? "memory" : "cpu";
  return {
    text,
    reply_markup: {
      inline_keyboard: [
        [
          { text: other === "memory" ? "Sort by memory" : "Sort by CPU", callback_data: topButton(other) },
          { text: "🔄 Refresh", callback_data: topButton(view.order) },
        ],
      ],
    },
  };
}

/** The answer to /top with an order it does not know. */
export function renderTopUsage(argument: string): RenderedMessage {
  return { text: html`Sort by cpu or memory, e.g. /top memory (not "${truncatePlain(argument, 64)}").` };
}
