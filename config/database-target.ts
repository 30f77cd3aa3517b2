import { hostname } from "node:os";
import type { Secret } from "./secret.js";
import type { GaiaEnvironment, GaiaPaths } from "./types.js";

/**
 * Where the audit trail and the monitor's state live: the embedded SQLite file (the default), or a
 * PostgreSQL database shared by several hosts (`DATABASE_URL`), where each row names its host.
 */
export type DatabaseTarget = { kind: "sqlite"; file: string } | { kind: "postgres"; url: Secret; host: string };

/** The database of this home folder and environment. */
export function databaseTarget(paths: GaiaPaths, env: Pick<GaiaEnvironment, "databaseUrl" | "host">): DatabaseTarget {
  if (env.databaseUrl) return { kind: "postgres", url: env.databaseUrl, host: env.host ?? hostname().slice(0, 64) };
  return { kind: "sqlite", file: paths.database };
}

/** How to name the database in a message: the file, or the URL without its password. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === "sqlite") return target.file;
  try {
    const url = new URL(target.url.reveal());
    url.password = "";
    return `${url.protocol}//${url.username ? `${url.username}@` : ""}${url.host}${url.pathname}`;
  } catch {
    return "DATABASE_URL";
  }
}
