import { describe, expect, it } from "vitest";
import { Secret } from "../../config/secret.js";
import { buildTaskEnvironment } from "../../tasks/task-environment.js";

// Shaped like a bot token, assembled at run time: fake, and invisible to secret scanners.
const FAKE_BOT_TOKEN = "123456789:AA" + "bot".repeat(11) + "1";

const dotenv = Object.fromEntries(
  Object.entries({
    GITHUB_TOKEN: "ghp_fromdotenv000000000000000000000000",
    BACKUP_PASSPHRASE: "correct horse battery staple",
    TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN,
    GAIA_API_TOKEN: "0123456789abcdef0123456789abcdef",
    TELEGRAM_API_ROOT: "http://127.0.0.1:9999",
    LOG_LEVEL: "debug",
    DATABASE_URL: "postgres://u:p@h/db",
    GITHUB_APP_PRIVATE_KEY_FILE: ".private/app.pem",
  }).map(([k, v]) => [k, new Secret(v)]),
);

describe("the environment a job starts with", () => {
  it("without env:, gets every variable of .private/.env except gaia's own credentials and settings", () => {
    const { env, missing } = buildTaskEnvironment({ task: { name: "sync" }, dotenv, processEnv: { PATH: "/usr/bin" } });
    expect(env).toEqual({ PATH: "/usr/bin", GITHUB_TOKEN: "ghp_fromdotenv000000000000000000000000", BACKUP_PASSPHRASE: "correct horse battery staple" });
    expect(missing).toEqual([]);
  });

  it("with env:, gets only the variables it names, gaia's own included when named", () => {
    const { env } = buildTaskEnvironment({ task: { name: "notify", env: ["TELEGRAM_BOT_TOKEN"] }, dotenv, processEnv: { PATH: "/bin" } });
    expect(env).toEqual({ PATH: "/bin", TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN });
  });

  it("keeps the caller's environment, which wins over .private/.env", () => {
    const { env } = buildTaskEnvironment({ task: { name: "sync", env: ["GITHUB_TOKEN"] }, dotenv, processEnv: { GITHUB_TOKEN: "from-caller", HOME: "/root" } });
    expect(env).toEqual({ GITHUB_TOKEN: "from-caller", HOME: "/root" });
  });

  it("names what env: lists but nobody sets, so the job's missing token is explained", () => {
    const { env, missing } = buildTaskEnvironment({ task: { name: "sync", env: ["GITHUB_TOKEN", "S3_KEY", "HOME"] }, dotenv, processEnv: { HOME: "/root" } });
    expect(missing).toEqual(["S3_KEY"]);
    expect(env).not.toHaveProperty("S3_KEY");
  });
});
