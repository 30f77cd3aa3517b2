import { generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect } from "vitest";
import { FakeGitHub } from "../fakes/github.js";
import { FakeTelegram } from "../fakes/telegram.js";
import { freePort, runGaia, startGaia, type GaiaProcess } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

export const ADMIN = 4242;
export const REPOSITORY = "acme/site";
export const APP_ID = 31337;
export const INSTALLATION_ID = 777;

/** A token-shaped fake, random per call, assembled at run time (the secret scanner reads sources). */
export function fakeToken(prefix: "ghp_" | "github_pat_" | "ghs_"): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let body = "";
  for (let i = 0; i < (prefix === "github_pat_" ? 70 : 36); i++) body += alphabet[Math.floor(Math.random() * alphabet.length)];
  return prefix + body;
}

export function botToken(): string {
  return "123456789:" + "AAFake".repeat(6);
}

export interface RotationHome {
  home: string;
  tg: FakeTelegram;
  github: FakeGitHub;
  gaia?: GaiaProcess;
  /** Starts gaia; `env` adds variables to its process environment. */
  start(env?: Record<string, string>): Promise<GaiaProcess>;
  envValue(key: string): string | undefined;
  envMode(): number;
  rotations(): { id: number; step: string; outcome: string; error: string | null; oldFingerprint: string | null; newFingerprint: string | null }[];
  events(): { kind: string; message: string; details: string | null }[];
  waitForRotation(outcome: string, timeoutMs?: number): Promise<void>;
  /** Every file under the home folder except .private/, as text (logs, gaia.db, .tmp/). */
  publicText(): string;
  cleanup(): Promise<void>;
}

/**
 * A gaia home with rotation configured, against the fake Telegram and the fake GitHub (which
 * knows `acme/site`). `identity: app` also makes an App key under .private/ and registers the App.
 */
export async function rotationHome(options: {
  identity: "pat" | "app";
  oldToken?: string;
  oldTokenInfo?: Parameters<FakeGitHub["addToken"]>[1];
  approval?: "auto" | "required";
  stores?: string[];
  /** Make the rotation due at start. */
  due?: boolean;
  extraEnv?: Record<string, string>;
}): Promise<RotationHome> {
  const tg = await FakeTelegram.start({ token: botToken() });
  const github = await FakeGitHub.start({}, { repositories: [REPOSITORY] });
  const temp = makeTempHome("gaia-rotation-");
  const port = await freePort();
  const env: Record<string, string> = { TELEGRAM_BOT_TOKEN: botToken(), TELEGRAM_API_ROOT: tg.apiRoot, GITHUB_API_URL: github.apiUrl, ...options.extraEnv };
  if (options.oldToken) {
    env.GITHUB_TOKEN = options.oldToken;
    github.addToken(options.oldToken, options.oldTokenInfo ?? { login: "gaia-machine", scopes: ["repo"], expiration: "2099-01-01 00:00:00 UTC" });
  }
  if (options.identity === "app") {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    github.addApp({ appId: APP_ID, slug: "gaia-bot", installationId: INSTALLATION_ID, account: "acme", publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() });
    temp.writeEnv(env);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(temp.home, ".private", "app.pem"), privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { mode: 0o600 });
    Object.assign(env, { GITHUB_APP_ID: String(APP_ID), GITHUB_APP_INSTALLATION_ID: String(INSTALLATION_ID), GITHUB_APP_PRIVATE_KEY_FILE: ".private/app.pem" });
  }
  temp.writeEnv(env);
  temp.writeConfig(
    [
      "telegram:",
      `  admins: [${ADMIN}]`,
      "probe:",
      "  every: 1h",
      "heartbeat:",
      "  every: 1h",
      "host: { cpu: 100, memory: 100, disk: 100 }",
      "api:",
      `  listen: 127.0.0.1:${port}`,
      "github:",
      `  identity: ${options.identity}`,
      `  repository: ${REPOSITORY}`,
      "rotation:",
      `  approval: ${options.approval ?? (options.identity === "app" ? "auto" : "required")}`,
      "  stores:",
      ...(options.stores ?? ["    - type: env-file"]),
      "",
    ].join("\n"),
  );
  const database = join(temp.home, "gaia.db");
  if (options.due) {
    const migrated = await runGaia(["migrate"], { home: temp.home });
    expect(migrated.code, migrated.stderr).toBe(0);
    const db = new Database(database);
    db.prepare(`INSERT INTO "state" ("key", "value", "updatedAt") VALUES ('rotation.nextDue', ?, datetime('now'))`).run(JSON.stringify("2020-01-01T09:00:00.000Z"));
    db.close();
  }
  const query = <T>(sql: string): T[] => {
    if (!existsSync(database)) return [];
    const db = new Database(database, { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } catch {
      return [];
    } finally {
      db.close();
    }
  };
  const self: RotationHome = {
    home: temp.home,
    tg,
    github,
    async start(env) {
      const gaia = startGaia(["start"], { home: temp.home, ...(env ? { env } : {}) });
      self.gaia = gaia;
      await gaia.waitForOutput('"msg":"gaia started"', 30_000);
      return gaia;
    },
    envValue(key) {
      const text = readFileSync(join(temp.home, ".private", ".env"), "utf8");
      return text.split("\n").find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
    },
    envMode: () => statSync(join(temp.home, ".private", ".env")).mode & 0o777,
    rotations: () => query(`SELECT "id", "step", "outcome", "error", "oldFingerprint", "newFingerprint" FROM "rotations" ORDER BY "id"`),
    events: () => query(`SELECT "kind", "message", "details" FROM "events" WHERE "kind" LIKE 'rotation.%' ORDER BY "id"`),
    async waitForRotation(outcome, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const last = self.rotations().at(-1);
        if (last?.outcome === outcome) return;
        if (Date.now() > deadline) throw new Error(`no rotation ${outcome} within ${timeoutMs} ms: ${JSON.stringify(self.rotations())}\n${self.gaia?.output() ?? ""}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    publicText() {
      let text = self.gaia?.output() ?? "";
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (path === join(temp.home, ".private")) continue;
          if (statSync(path).isDirectory()) walk(path);
          else text += readFileSync(path).toString("latin1");
        }
      };
      walk(temp.home);
      return text;
    },
    async cleanup() {
      await self.gaia?.stop("SIGKILL");
      await tg.stop();
      await github.stop();
      temp.cleanup();
    },
  };
  return self;
}
