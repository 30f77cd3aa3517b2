import { describe, expect, it } from "vitest";
import { checkHealth } from "../../api/health-routes.js";
import { StateStore } from "../../entities/state-store.js";
import { LAST_HEARTBEAT_KEY } from "../../entities/state-store.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { tempDatabase } from "../helpers/temp-database.js";

describe("/healthz", () => {
  const defer = deferCleanups();

  it("is healthy with a fresh heartbeat, and unhealthy once the beat is two periods old; Telegram down is reported, not unhealthy", async () => {
    const { dataSource, close } = await tempDatabase();
    defer(close);
    const state = new StateStore(dataSource);
    const every = 60_000;
    const beat = new Date("2026-11-25T10:00:00Z");
    const at = (ms: number) => () => new Date(beat.getTime() + ms);

    expect(await checkHealth({ dataSource, state, telegram: { state: "up" }, heartbeatEveryMs: every, now: at(0) })).toMatchObject({ ok: false, lastHeartbeat: null });
    await state.set(LAST_HEARTBEAT_KEY, beat.toISOString());
    expect(await checkHealth({ dataSource, state, telegram: { state: "up" }, heartbeatEveryMs: every, now: at(90_000) })).toEqual({
      ok: true,
      lastHeartbeat: beat.toISOString(),
      telegram: "up",
      db: "ok",
    });
    expect(await checkHealth({ dataSource, state, telegram: { state: "off" }, heartbeatEveryMs: every, now: at(0) })).toMatchObject({ ok: true });
    expect(await checkHealth({ dataSource, state, telegram: { state: "up" }, heartbeatEveryMs: every, now: at(120_001) })).toMatchObject({ ok: false });
    expect(await checkHealth({ dataSource, state, telegram: { state: "down" }, heartbeatEveryMs: every, now: at(0) })).toMatchObject({ ok: true, telegram: "down" });
  });
});
