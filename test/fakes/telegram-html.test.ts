import { describe, expect, it } from "vitest";
import { HtmlParseError, parseTelegramHtml, stripTelegramHtml } from "./telegram-html.js";

/** The error text, or "ok" when the HTML parsed. */
function problem(html: string): string {
  try {
    parseTelegramHtml(html);
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(HtmlParseError);
    return (error as Error).message;
  }
}

describe("Telegram's HTML rules", () => {
  // Cases and texts from TDLib's own tests: the byte offsets count UTF-8 bytes, so "🏟 🏟&lt;" is 13.
  it.each([
    ["🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"],
    ["🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'],
    ["🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'],
    ["🏟 🏟&lt;<i    aba>", 'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13'],
    ["🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'],
    ["🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"],
    ['🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"],
    ["🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"],
    ["🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"],
    ["🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"],
    ["🏟 🏟&lt;<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'],
    ["<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'],
    ["<p>paragraph</p>", 'Unsupported start tag "p" at byte offset 0'],
    ["line<br>", 'Unsupported start tag "br" at byte offset 4'],
    ["&#0;", 'Unescaped "&" at byte offset 0; write it as &amp;'],
    ["&#xD800;", 'Unescaped "&" at byte offset 0; write it as &amp;'],
  ])("refuses %j: %s", (html, message) => {
    expect(problem(html)).toBe(message);
  });

  it.each([
    ["🏟 🏟&lt;<i    aba  =  190azAz-.   >a</i>", "🏟 🏟<a"],
    ["<i>a</>", "a"],
    ["<i>a</    >", "a"],
    ["<B>bold</b>", "bold"],
    ["&#128308; &#x1F7E2; &quot;q&quot;", '🔴 🟢 "q"'],
    ["a > b", "a > b"],
    ['<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"],
    ["<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del><em>e</em><code>c</code>", "uiskdec"],
  ])("accepts %j as %j", (html, text) => {
    expect(parseTelegramHtml(html).text).toBe(text);
  });

  it("reports entities in UTF-16 units, nested ones included", () => {
    expect(parseTelegramHtml("🏟 <b>x <i>y</i></b><a href='tg://user?id=1'>u</a><b></b>").entities).toEqual([
      { type: "bold", offset: 3, length: 3 },
      { type: "italic", offset: 5, length: 1 },
      { type: "text_link", offset: 6, length: 1, url: "tg://user?id=1" },
    ]);
    expect(parseTelegramHtml("<pre><code>plain</code></pre>").entities).toEqual([
      { type: "pre", offset: 0, length: 5 },
      { type: "code", offset: 0, length: 5 },
    ]);
  });

  it("strips tags and decodes entities for display without validating", () => {
    expect(stripTelegramHtml("<b>a</b> &lt;b&gt; &amp; &#128308;")).toBe("a <b> & 🔴");
  });
});
