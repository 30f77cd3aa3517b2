/**
 * The fake Telegram Bot API of the end-to-end tests, reused as is: the benchmark measures gaia
 * against the same strict fake the tests trust. Importing it from here makes `tsc -p
 * tsconfig.bench.json` compile it (and its two helper files) to dist-bench/test/fakes/, next to the
 * compiled bench, so `npm run bench` needs no TypeScript runner.
 */
import { randomBytes, randomInt } from "node:crypto";
import { FakeTelegram } from "../../test/fakes/telegram.js";
import type { TelegramEndpoint } from "./gaia-process.js";

export { FakeTelegram, type CallRecord } from "../../test/fakes/telegram.js";

/**
 * Starts a fake Telegram with a fresh bot token (shaped like @BotFather's, as gaia checks).
 * Each bot gets its own fake: like Telegram, the fake serves one long poll per token at a time.
 */
export async function startFakeTelegram(): Promise<{ fake: FakeTelegram; endpoint: TelegramEndpoint }> {
  const token = `${randomInt(1_000_000, 9_999_999)}:${randomBytes(27).toString("base64url")}`;
  const fake = await FakeTelegram.start({ token });
  return { fake, endpoint: { token, apiRoot: fake.apiRoot } };
}
