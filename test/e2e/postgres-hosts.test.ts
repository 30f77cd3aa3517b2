import { describe, expect, it } from "vitest";
import { FakeTelegram } from "../fakes/telegram.js";
import { deferCleanups } from "../helpers/cleanups.js";
import { freePort, startGaia } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";
import { TEST_POSTGRES_URL, tempPostgresDatabase } from "../helpers/temp-postgres.js";

/** Assembled at run time, like test/helpers/fake-tokens.ts, so the secret scan stays quiet. */
const token = (botId: number) => `${botId}:` + "AAFake".repeat(6);

// PostgreSQL only: .ci/run starts a server and sets GAIA_TEST_DATABASE_URL.
describe.skipIf(!TEST_POSTGRES_URL)("gaia start on PostgreSQL (DATABASE_URL), two hosts, one audit trail", () => {
  const defer = deferCleanups();

  it("two monitors start on one database, each healthy; the audit trail holds both hosts' rows and /history @all shows them", async () => {
    const database = await tempPostgresDatabase();
    defer(() => database.drop());
    const { default: pg } = await import("pg");

    const start = async (host: string, botId: number) => {
      const tg = await FakeTelegram.start({ token: token(botId) });
      defer(() => tg.stop());
      const home = makeTempHome(`gaia-${host}-`);
      defer(() => home.cleanup());
      const port = await freePort();
      home.writeConfig(`telegram:\n  admins: [4242]\napi:\n  listen: 127.0.0.1:${port}\n`);
      home.writeEnv({ TELEGRAM_BOT_TOKEN: token(botId), TELEGRAM_API_ROOT: tg.apiRoot, DATABASE_URL: database.url, GAIA_HOST: host });
      const gaia = startGaia(["start"], { home: home.home });
      defer(() => gaia.stop("SIGKILL"));
      return { gaia, port, home, tg };
    };
    // At the same moment: the first migrates, the other waits for it (an advisory lock).
    const [nas, pi] = await Promise.all([start("nas", 111111), start("pi", 222222)]);
    await Promise.all([nas.gaia.waitForOutput('"msg":"gaia started"', 45_000), pi.gaia.waitForOutput('"msg":"gaia started"', 45_000)]);

    for (const { port } of [nas, pi]) {
      let health = await fetch(`http://127.0.0.1:${port}/healthz`);
      for (let i = 0; i < 40 && health.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        health = await fetch(`http://127.0.0.1:${port}/healthz`);
      }
      expect(await health.json()).toMatchObject({ ok: true, db: "ok" });
    }
    // In the chat: /history shows this host, /history @all every host, each line naming its host.
    const ask = async (text: string, match: RegExp) => {
      const waiting = nas.tg.waitForMessage(match, { chatId: 4242, newOnly: true, timeoutMs: 20_000 });
      nas.tg.sendUserMessage({ chatId: 4242, fromId: 4242, text });
      return (await waiting).plainText;
    };
    const own = await ask("/history", /^History \(newest first\)/);
    expect(own).toContain("monitor.started");
    expect(own).not.toMatch(/\[(nas|pi)\]/);
    const everyHost = await ask("/history @all", /^History on every host/);
    expect(everyHost).toMatch(/\[nas\] monitor\.started/);
    expect(everyHost).toMatch(/\[pi\] monitor\.started/);

    expect(await nas.gaia.stop()).toBe(0);
    expect(await pi.gaia.stop()).toBe(0);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    defer(() => client.end());
    const started = await client.query(`SELECT "host", count(*)::int AS n FROM "events" WHERE "kind" = 'monitor.started' GROUP BY "host" ORDER BY "host"`);
    expect(started.rows).toEqual([
      { host: "nas", n: 1 },
      { host: "pi", n: 1 },
    ]);
    // Each host keeps its own heartbeat.
    const beats = await client.query(`SELECT "host" FROM "state" WHERE "key" = 'heartbeat.last' ORDER BY "host"`);
    expect(beats.rows).toEqual([{ host: "nas" }, { host: "pi" }]);
    // gaia.db is not made beside them.
    const { existsSync } = await import("node:fs");
    expect(existsSync(`${nas.home.home}/gaia.db`)).toBe(false);
  });
});
