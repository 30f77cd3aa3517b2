import { describe, expect, it } from "vitest";
import { renderTop } from "../../../bot/render/top.js";
import type { TopView } from "../../../monitor/top-sampler.js";
import { parseTelegramHtml } from "../../fakes/telegram-html.js";

function view(overrides: Partial<TopView> = {}): TopView {
  return {
    at: new Date(2026, 5, 1, 12, 3, 15).toISOString(),
    windowMs: 1012,
    order: "cpu",
    host: { cpuPercent: 52.4, cores: 2, memoryPercent: 45.1, memoryUsedBytes: 3.6 * 1024 ** 3, memoryTotalBytes: 7.8 * 1024 ** 3 },
    processes: [
      { pid: 31337, name: "node", commandLine: "node -e for(;;){} <b>&amp; x", cpuPercent: 99.8, memoryBytes: 45.2 * 1024 ** 2, memoryPercent: 0.6 },
      { pid: 2, name: "kthreadd", commandLine: "", cpuPercent: 0, memoryBytes: 0, memoryPercent: 0 },
      { pid: 812, name: "sshd", commandLine: "sshd", cpuPercent: 0.5, memoryBytes: 8 * 1024 ** 2, memoryPercent: 0.1 },
    ],
    ...overrides,
  };
}

describe("the /top message", () => {
  it("is a monospace table of pid, CPU % of one core, memory and name, with each command line shown literally", () => {
    const message = renderTop(view());
    const parsed = parseTelegramHtml(message.text);
    expect(parsed.text).toBe(
      [
        "Top processes by CPU · 12:03:15",
        "Host CPU 52% of 2 cores · memory 45% (3.6 GiB of 7.8 GiB)",
        "  PID  CPU%   MEM NAME",
        "31337  99.8 45.2M node",
        "      node -e for(;;){} <b>&amp; x",
        "    2   0.0    0B kthreadd",
        "  812   0.5  8.0M sshd",
        "CPU% is of one core, over the last 1.0 s; MEM is resident memory.",
      ].join("\n"),
    );
    expect(parsed.entities.map((e) => e.type)).toEqual(["bold", "pre", "italic"]);
    expect(message.reply_markup).toEqual({
      inline_keyboard: [[{ text: "Sort by memory", callback_data: "top:mem" }, { text: "🔄 Refresh", callback_data: "top:cpu" }]],
    });
  });

  it("sorted by memory offers to switch back to CPU", () => {
    const message = renderTop(view({ order: "memory" }));
    expect(parseTelegramHtml(message.text).text).toMatch(/^Top processes by memory/);
    expect(message.reply_markup!.inline_keyboard[0].map((b) => [b.text, b.callback_data])).toEqual([
      ["Sort by CPU", "top:cpu"],
      ["🔄 Refresh", "top:mem"],
    ]);
  });

  it("cuts long command lines and flattens whitespace so the table stays readable on a phone", () => {
    const long = `python3 ${"/very/long/path".repeat(10)}\n--flag\tvalue`;
    const text = parseTelegramHtml(renderTop(view({ processes: [{ pid: 7, name: "python3", commandLine: long, cpuPercent: 1, memoryBytes: 1, memoryPercent: 0 }] })).text).text;
    const commandRow = text.split("\n").find((line) => line.includes("python3 /very"))!;
    expect(commandRow.length).toBeLessThanOrEqual(4 + 34);
    expect(commandRow.endsWith("…")).toBe(true);
  });
});
