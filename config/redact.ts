/**
 * Token-shaped strings: GitHub tokens, Telegram bot tokens, private keys, bearer headers and the
 * usual cloud keys. Logs, job output tails and chat messages pass through `redactSecrets`.
 */
const TOKEN_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  // No \b before the digits: in a Bot API URL the token follows "bot" directly.
  /(?<!\d)\d{5,15}:[A-Za-z0-9_-]{30,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
  /\bsk-[A-Za-z0-9_-]{20,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b(Bearer|token)\s+[A-Za-z0-9._~+/-]{16,}=*/gi,
];

export const REDACTED = "[REDACTED]";

/**
 * Replaces token-shaped strings, and every known secret value (such as those of .private/.env),
 * with [REDACTED]. Known values shorter than 8 characters are left alone: they would match
 * ordinary words.
 */
export function redactSecrets(text: string, knownValues: Iterable<string> = []): string {
  let out = text;
  for (const value of knownValues) {
    if (value.length >= 8) out = out.split(value).join(REDACTED);
  }
  for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}
