import { describe, expect, it } from "vitest";
import { fitBlocks, pageOf, plainTextOf, truncatePlain } from "../../../bot/render/paginate.js";
import { parseTelegramHtml } from "../../fakes/telegram-html.js";

describe("paging and fitting to Telegram's limits", () => {
  it("pages a list and clamps page numbers that do not exist", () => {
    const items = Array.from({ length: 45 }, (_, i) => i);
    expect(pageOf(items, 0, 20)).toMatchObject({ page: 0, pages: 3, total: 45, items: items.slice(0, 20) });
    expect(pageOf(items, 2, 20).items).toEqual([40, 41, 42, 43, 44]);
    expect(pageOf(items, 9, 20).page).toBe(2);
    expect(pageOf(items, -1, 20).page).toBe(0);
    expect(pageOf([], 3, 20)).toMatchObject({ page: 0, pages: 1, items: [] });
    expect(pageOf(items, 0, Infinity).items).toHaveLength(45);
  });

  it("truncates plain text with an ellipsis, never inside an emoji", () => {
    expect(truncatePlain("short", 10)).toBe("short");
    expect(truncatePlain("abcdefghij", 5)).toBe("abcd…");
    expect(truncatePlain("ab🔴🔴🔴", 4)).toBe("ab…");
  });

  it("keeps whole blocks and notes how many were cut", () => {
    const blocks = Array.from({ length: 100 }, (_, i) => `<b>line ${i}</b>`);
    const text = fitBlocks(blocks, { limit: 200, note: (n) => `<i>… ${n} more</i>` });
    expect(text.length).toBeLessThanOrEqual(200);
    expect(text).toMatch(/<i>… \d+ more<\/i>$/);
    const parsed = parseTelegramHtml(text);
    const kept = parsed.text.split("\n").filter((l) => l.startsWith("line")).length;
    expect(parsed.text).toContain(`… ${100 - kept} more`);
    expect(fitBlocks(["a", "b"], { limit: 200, note: () => "x" })).toBe("a\nb");
  });

  it("cuts a single block that is too long to its escaped text", () => {
    const text = fitBlocks([`<pre>${"&lt;&amp;".repeat(2000)}</pre>`, "<b>tail</b>"], { limit: 300, note: (n) => `(${n} more)` });
    expect(text.length).toBeLessThanOrEqual(300);
    expect(parseTelegramHtml(text).text).toMatch(/^(<&)+<?…\n\(1 more\)$/);
  });

  it("reads the plain text of HTML like Telegram shows it", () => {
    expect(plainTextOf("<b>a &lt;b&gt; &amp;amp; &quot;q&quot;</b> &#128308;")).toBe('a <b> &amp; "q" 🔴');
  });
});
