import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import pino from "pino";
import { StateStore } from "../../entities/state-store.js";
import { heartbeatJob } from "../../jobs/heartbeat.js";
import { LAST_HEARTBEAT_KEY } from "../../entities/state-store.js";
import { manualClock, tempDatabase } from "../helpers/temp-database.js";

describe("the heartbeat", () => {
  let db: Awaited<ReturnType<typeof tempDatabase>> | undefined;
  afterEach(() => db?.close());

  it("records each beat in gaia.db and pings the dead man's switch; a failing ping is logged, never fatal", async () => {
    db = await tempDatabase();
    const clock = manualClock();
    const state = new StateStore(db.dataSource, clock.now);
    let status = 200;
    const pings: string[] = [];
    const server = createServer((req, res) => {
      pings.push(req.url ?? "");
      res.writeHead(status).end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping/abc`;
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });

    await heartbeatJob({ state, logger, url, now: clock.now })();
    expect(await state.get(LAST_HEARTBEAT_KEY)).toBe(clock.now().toISOString());
    status = 500;
    clock.advance(60_000);
    await heartbeatJob({ state, logger, url, now: clock.now })();
    server.close();
    clock.advance(60_000);
    await heartbeatJob({ state, logger, url, now: clock.now, pingTimeoutMs: 1000 })();
    expect(await state.get(LAST_HEARTBEAT_KEY)).toBe(clock.now().toISOString());
    expect(pings).toEqual(["/ping/abc", "/ping/abc"]);
    expect(warnings).toEqual(["heartbeat ping answered with an error status", "heartbeat ping failed"]);
  });
});
