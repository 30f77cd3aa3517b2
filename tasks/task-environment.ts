import { GAIA_OWN_SECRETS } from "../config/load-environment.js";
import type { Secret } from "../config/secret.js";
import type { TaskConfig } from "../config/types.js";

/**
 * Variables of `.private/.env` that configure gaia itself rather than a job: passing gaia's log
 * level or Bot API root to a job would change the job's behaviour behind its back.
 */
export const GAIA_SETTINGS = ["TELEGRAM_API_ROOT", "LOG_LEVEL", "GAIA_HOME"] as const;

const NOT_PASSED_BY_DEFAULT: ReadonlySet<string> = new Set<string>([...GAIA_OWN_SECRETS, ...GAIA_SETTINGS]);

/** The environment a job starts with, and the named variables that were found nowhere. */
export interface TaskEnvironment {
  env: Record<string, string>;
  /** Names listed in the task's `env:` that are neither in `.private/.env` nor in the caller's environment. */
  missing: string[];
}

/**
 * The job's environment: the caller's environment, plus variables of `.private/.env` it does not
 * already set (the caller's environment wins, as everywhere in gaia). With `env:` on the task only
 * the variables it names are added (least privilege); without it, every variable except gaia's
 * own credentials and settings, which a job gets only by naming them.
 */
export function buildTaskEnvironment(options: {
  task: TaskConfig;
  dotenv: Readonly<Record<string, Secret>>;
  processEnv: NodeJS.ProcessEnv;
}): TaskEnvironment {
  const { task, dotenv, processEnv } = options;
  const env: Record<string, string> = {};
  const names = task.env ?? Object.keys(dotenv).filter((name) => !NOT_PASSED_BY_DEFAULT.has(name));
  const missing: string[] = [];
  for (const name of names) {
    if (Object.hasOwn(dotenv, name)) env[name] = dotenv[name].reveal();
    else if (processEnv[name] === undefined) missing.push(name);
  }
  for (const [name, value] of Object.entries(processEnv)) {
    if (value !== undefined) env[name] = value;
  }
  return { env, missing };
}
