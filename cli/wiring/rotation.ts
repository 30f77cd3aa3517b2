import { join } from "node:path";
import type { Outbox } from "../../alerts/outbox.js";
import type { RotationNotice } from "../../alerts/alert.js";
import type { Config } from "../../config/types.js";
import type { Secret } from "../../config/secret.js";
import type { Rotation } from "../../entities/rotation.js";
import { rotationDueJob } from "../../jobs/rotation-due.js";
import { CommandStore } from "../../rotation/command-store.js";
import { EnvFileStore } from "../../rotation/env-file-store.js";
import { GithubActionsStore } from "../../rotation/github-actions-store.js";
import { AppIdentity, appPermissions, PatIdentity, type GithubIdentity } from "../../rotation/github-identity.js";
import { RotationRunner, type Recovery } from "../../rotation/rotation-runner.js";
import { RotationSchedule } from "../../rotation/rotation-schedule.js";
import type { SecretStore } from "../../rotation/secret-store.js";
import { TokenStages } from "../../rotation/token-stages.js";
import type { RotationChat } from "../../bot/features/rotate.js";
import type { CoreServices, FeatureWiring } from "../feature.js";

export const ROTATION_JOB = "rotation-due";
const ROTATION_CHECK_EVERY_MS = 60_000;

/** What /status and the chat read about rotation, kept current by the rotation feature. */
export interface RotationView {
  nextRotation(): Date | undefined;
  tokenExpiresAt(): Date | undefined;
}

/** The rotation feature's parts that the chat flow (`/rotate`, notice buttons) works with. */
export interface RotationWiring extends FeatureWiring {
  view: RotationView;
  runner?: RotationRunner;
  dueSchedule?: RotationSchedule;
  /** Reports a finished rotation: a notice, and the next due time. */
  finished?: (rotation: Rotation) => Promise<void>;
}

/**
 * Token rotation (issue 14): the GitHub identity (pat or app), the stores of gaia.yml, the state
 * machine, recovery of an unfinished rotation at start, and the rotation-due job. Off without a
 * `github:` section.
 */
export function wireRotation(core: CoreServices, options: { outbox: Outbox }): RotationWiring {
  const { config, dataSource, audit, state, logger, now } = core;
  const github = config.settings.github;
  let nextDue: Date | undefined;
  let expiresAt: Date | undefined;
  const view: RotationView = { nextRotation: () => nextDue, tokenExpiresAt: () => expiresAt };
  if (!github) return { view, chat: { rotate: { githubConfigured: false } } };

  const stores = buildStores(config);
  const identity = buildIdentity(config);
  let current: Secret | undefined = config.env.githubToken;
  const runner = new RotationRunner({
    dataSource,
    audit,
    identity,
    stores,
    stages: new TokenStages(join(config.paths.privateDir, "rotation-stages.json")),
    repository: github.repository,
    needs: { repository: github.repository, writesActionsSecret: stores.some((s) => s instanceof GithubActionsStore) },
    current: { get: () => current, set: (token) => (current = token) },
    logger,
    now,
  });
  const schedule = new RotationSchedule(state, config.settings.rotation.schedule, now);
  const notify = async (notice: RotationNotice) => {
    // Due and interrupted notices carry buttons: each is a message of its own.
    const standalone = notice.event === "due" || notice.event === "interrupted";
    await options.outbox.enqueue({ kind: "notice", payload: { title: "Token rotation", rotation: notice, ...(standalone ? { standalone } : {}) } });
  };
  const finished = async (rotation: Rotation) => {
    if (rotation.outcome === "done") {
      nextDue = await schedule.rotated();
      expiresAt = rotation.newExpiresAt && identity.kind === "pat" ? rotation.newExpiresAt : undefined;
    }
    await notify(noticeOf(rotation, rotation.outcome === "done" ? "done" : "rolled-back"));
  };

  // The process environment wins over .private/.env: a rotated token written there would lose at the next start.
  const tokenFromProcessEnvironment = config.env.githubTokenFromProcess === true && stores.some((s) => s instanceof EnvFileStore);
  if (tokenFromProcessEnvironment) logger.warn("GITHUB_TOKEN is set in the process environment, which wins over .private/.env: a rotated token would not be used after a restart");
  const chat: RotationChat = {
    tokenFromProcessEnvironment,
    runner,
    schedule,
    identity: identity.kind,
    ...(github.repository ? { repository: github.repository } : {}),
    stores: stores.map((s) => s.name),
    tokenPageUrl: tokenPageUrl(config.env.githubApiUrl),
    rotated: async () => {
      nextDue = await schedule.rotated();
      const last = await runner.lastDone();
      expiresAt = last?.newExpiresAt && identity.kind === "pat" ? last.newExpiresAt : undefined;
    },
    api: core.api,
    audit,
    logger,
  };

  return {
    view,
    chat: { rotate: { githubConfigured: true, rotation: chat } },
    runner,
    dueSchedule: schedule,
    finished,
    jobs: [
      {
        name: ROTATION_JOB,
        every: ROTATION_CHECK_EVERY_MS,
        run: rotationDueJob({
          runner,
          schedule,
          audit,
          automatic: identity.kind === "app" && config.settings.rotation.approval === "auto",
          notify,
          finished,
          expiry: { set: (at) => (expiresAt = at ?? undefined) },
          logger,
          now,
        }),
        // After the recovery in `started`: a rotation that fell due while gaia was stopped.
        atStart: "in background",
      },
    ],
    async started() {
      nextDue = await schedule.nextDue();
      const recovered: Recovery[] = await runner.recover("system");
      for (const { rotation, action, reason } of recovered) {
        if (action === "awaiting-admin") await notify({ ...noticeOf(rotation, "interrupted"), ...(reason ? { reason } : {}) });
        else if (rotation.outcome === "done") {
          await notify(noticeOf(rotation, "resumed"));
          nextDue = await schedule.rotated();
        } else await notify({ ...noticeOf(rotation, "rolled-back"), ...(reason ? { reason } : {}) });
      }
    },
  };
}

/** GitHub's "new fine-grained token" page: github.com, or the Enterprise Server of GITHUB_API_URL (`https://HOST/api/v3`). */
function tokenPageUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  const web = url.hostname === "api.github.com" ? "https://github.com" : `${url.protocol}//${url.host}`;
  return `${web}/settings/personal-access-tokens/new`;
}

function noticeOf(rotation: Rotation, event: RotationNotice["event"]): RotationNotice {
  return {
    event,
    identity: rotation.identity === "app" ? "app" : "pat",
    rotationId: rotation.id,
    step: rotation.step,
    ...(rotation.error ? { reason: rotation.error } : {}),
    ...(rotation.newFingerprint ? { newFingerprint: rotation.newFingerprint } : {}),
    ...(rotation.oldFingerprint ? { oldFingerprint: rotation.oldFingerprint } : {}),
  };
}

function buildIdentity(config: Config): GithubIdentity {
  const github = config.settings.github!;
  if (github.identity === "pat") return new PatIdentity(config.env.githubApiUrl);
  if (!config.env.githubApp) throw new Error("identity app needs GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY_FILE");
  const writesActionsSecret = config.settings.rotation.stores.some((s) => s.type === "github-actions");
  return new AppIdentity(config.env.githubApiUrl, config.env.githubApp, github.repository, appPermissions({ writesActionsSecret }));
}

function buildStores(config: Config): SecretStore[] {
  return config.settings.rotation.stores.map((store) => {
    if (store.type === "env-file") return new EnvFileStore(config.paths.envFile);
    if (store.type === "command") {
      // The command gets no secret in its environment: only what a CLI needs to run.
      const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? config.paths.home, GAIA_HOME: config.paths.home };
      return new CommandStore(store.run, { cwd: config.paths.home, env });
    }
    return new GithubActionsStore(config.env.githubApiUrl, store.repository, store.secret);
  });
}
