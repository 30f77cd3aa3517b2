/**
 * The baseline: the smallest useful grammY bot, long-polling Telegram and answering one command.
 * Any Node bot costs at least this much memory and start-up time, so gaia's figures are given as
 * ratios to it. Run as `node dist-bench/bench/bare-grammy-bot.js TOKEN API_ROOT`.
 */
import { Bot } from "grammy";

const [token, apiRoot] = process.argv.slice(2);
if (!token || !apiRoot) {
  process.stderr.write("usage: bare-grammy-bot.js TOKEN API_ROOT\n");
  process.exit(2);
}
const bot = new Bot(token, { client: { apiRoot } });
bot.command("start", (ctx) => ctx.reply("Hello"));
process.once("SIGTERM", () => void bot.stop());
await bot.start();
