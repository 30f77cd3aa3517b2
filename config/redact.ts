import type { Secret } from "./secret.js";
import type { GaiaEnvironment } from "./types.js";

/**
 * The one redactor of gaia. Everything that shows or stores text gaia did not write itself (a
 * process's command line in an alert or /top, a restart's or a job's output, a log line) passes
 * through a `Redact` function made by `createRedactor`, which takes out:
 *  - every known secret value: those of `.private/.env`, gaia's own tokens (see `secretValuesOf`);
 *  - token-shaped strings: GitHub, Telegram, Slack, OpenAI and AWS keys, private keys;
 *  - the values of secret flags and settings: `--password=x`, `--password x`, `--api-token x`,
 *    `PGPASSWORD=x`, `?access_token=x`, `-pSECRET` after mysql/mariadb, `sshpass -p x`;
 *  - `Authorization:` header values and the password of `scheme://user:password@host`.
 * Flag names stay (`--password=[REDACTED]`), so that a reader still sees what was there.
 */
export type Redact = (text: string) => string;

export const REDACTED = "[REDACTED]";

/**
 * Known values shorter than this are not redacted. Shorter values are ports, booleans and levels
 * (`5432`, `true`, `debug`) that would blank ordinary words out of every message, and a secret
 * that short is guessed in seconds anyway: hiding it would protect nothing. Six is also the
 * shortest password MySQL's and PostgreSQL's usual policies accept.
 */
export const MIN_KNOWN_SECRET_LENGTH = 6;

/** Variables of `.private/.env` that are settings, not secrets: their values are not redacted. */
export const SETTINGS_NOT_SECRET: ReadonlySet<string> = new Set([
  "TELEGRAM_API_ROOT",
  "GITHUB_API_URL",
  "GITHUB_APP_ID",
  "GITHUB_APP_INSTALLATION_ID",
  "GITHUB_APP_PRIVATE_KEY_FILE",
  "GAIA_HOME",
  "LOG_LEVEL",
]);

const TOKEN_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  // GitHub's long installation tokens, ghs_<app id>_<JWT> (~520 characters), before the short form.
  /\bghs_\d+_[A-Za-z0-9._-]{20,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  // No \b before the digits: in a Bot API URL the token follows "bot" directly.
  /(?<!\d)\d{5,15}:[A-Za-z0-9_-]{30,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
  /\bsk-[A-Za-z0-9_-]{20,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b(Bearer|token)\s+[A-Za-z0-9._~+/-]{16,}=*/gi,
];

// Name parts are bounded ({0,40}): the patterns run over whole outputs and logs, and unbounded
// runs of name characters would make them quadratic on a long blob without blanks.
/** A word that makes a flag, variable or header name a secret one: `--db-password`, `API_TOKEN`. */
const SECRET_WORD = "(?:password|passwd|passphrase|pass|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|credentials?)";
/** A value as a command line or a shell line writes it: quoted, or up to the next blank. */
const VALUE = `(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s"'&]+)`;

/** `--password=x`, `--api-token x`, `-token=x`: the secret word is a whole part of the flag's name. */
const SECRET_FLAG = new RegExp(`(?<![\\w-])(--?(?:[A-Za-z0-9]{1,20}[-_]){0,4}${SECRET_WORD}(?:[-_][A-Za-z0-9]{1,20}){0,4})(=|[ \\t]{1,8})(${VALUE})`, "gi");
/** `PGPASSWORD=x`, `MYSQL_PWD=x`, `?access_token=x`: a name that holds a secret word, then `=`. */
const SECRET_ASSIGNMENT = new RegExp(`(?<![\\w-])([A-Za-z0-9_]{0,40}${SECRET_WORD}[A-Za-z0-9_]{0,40}=)(${VALUE})`, "gi");
/** `Authorization: Bearer x`, `Proxy-Authorization: Basic x`, `X-Api-Key: x`. */
const SECRET_HEADER = new RegExp(
  `\\b((?:proxy-)?authorization\\s*:\\s*(?:(?:bearer|basic|token|digest|negotiate)\\s+)?|x-[\\w-]{0,40}${SECRET_WORD}[\\w-]{0,40}\\s*:\\s*)([^\\s"']+)`,
  "gi",
);
/** `https://user:password@host`, `mysql://root:pw@db/name`. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]{0,20}:\/\/[^\s:@/]{0,128}:)([^\s@/]{1,512})@/gi;
/** mysql, mysqldump, mariadb-dump…: `-pSECRET` (no space) is the password there, and only there. */
const MYSQL_LIKE = /\b(?:mysql|mariadb)[\w-]*\b[^\n]*/gi;
const MYSQL_PASSWORD = /(\s-p)(?=\S)([^\s"']+|"[^"\n]*"|'[^'\n]*')/g;
/** `sshpass -p SECRET` and `sshpass -pSECRET`. */
const SSHPASS = /\b(sshpass\b[^\n]{0,200}?\s-p)[ \t]*(\S+)/g;

/**
 * A redactor for these known secret values (besides the patterns, which it always applies).
 * Values shorter than MIN_KNOWN_SECRET_LENGTH are ignored; longer values are taken out first, so
 * that a value that contains a shorter one is not left half-visible.
 */
export function createRedactor(knownValues: Iterable<string> = []): Redact {
  const values = [...new Set([...knownValues].filter((v) => v.length >= MIN_KNOWN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  const known = values.length > 0 ? new RegExp(values.map(escapeRegExp).join("|"), "g") : undefined;
  return (text) => {
    let out = known ? text.replace(known, REDACTED) : text;
    out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
    out = out.replace(SECRET_HEADER, `$1${REDACTED}`);
    out = out.replace(SECRET_FLAG, (whole, flag: string, separator: string, value: string) =>
      // `--password-stdin -u me`: a blank then another flag is no value.
      separator !== "=" && value.startsWith("-") ? whole : `${flag}${separator}${REDACTED}`,
    );
    out = out.replace(SECRET_ASSIGNMENT, `$1${REDACTED}`);
    out = out.replace(MYSQL_LIKE, (line) => line.replace(MYSQL_PASSWORD, `$1${REDACTED}`));
    out = out.replace(SSHPASS, `$1 ${REDACTED}`);
    for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
    return out;
  };
}

/**
 * Every secret value gaia knows of: the values of `.private/.env` (except the settings in
 * SETTINGS_NOT_SECRET), gaia's own tokens even when they come from the process environment, and
 * any other (the API token of `.private/api-token`).
 */
export function secretValuesOf(env: GaiaEnvironment, ...others: (Secret | string | undefined)[]): string[] {
  const fromDotenv = Object.entries(env.dotenv)
    .filter(([name]) => !SETTINGS_NOT_SECRET.has(name))
    .map(([, secret]) => secret.reveal());
  const own = [env.telegramBotToken, env.githubToken, env.apiToken, env.databaseUrl, ...others];
  return [...fromDotenv, ...own.flatMap((s) => (s === undefined ? [] : [typeof s === "string" ? s : s.reveal()]))].filter((v) => v.trim() !== "");
}

/**
 * Redacts with the patterns and the given known values in one call; prefer a redactor made once
 * with `createRedactor` where the same values serve many texts.
 */
export function redactSecrets(text: string, knownValues: Iterable<string> = []): string {
  return createRedactor(knownValues)(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
