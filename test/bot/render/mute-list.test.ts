import { describe, expect, it } from "vitest";
import { renderMuteList } from "../../../bot/render/mute.js";

describe("/mute without arguments", () => {
  const now = new Date(2026, 2, 1, 3, 10);
  it("lists open maintenance windows beside the mutes", () => {
    const text = renderMuteList([], now, [{ services: ["agent", "web"], until: new Date(2026, 2, 1, 5, 0) }]).text;
    expect(text).toContain("<b>Muted now</b>");
    expect(text).toContain("🔧 maintenance: agent, web until 05:00 (1h 50m left)");
  });
  it("says nothing is muted when nothing is", () => {
    expect(renderMuteList([], now).text).toContain("Nothing is muted.");
  });
});
