/**
 * The one reading of a failed Bot API call, shared by polling, alert delivery and approval
 * messages, so that the same answer from Telegram means the same thing everywhere.
 */
import { GrammyError, HttpError } from "grammy";
import { TelegramClosed } from "./telegram-deadlines.js";

/** What a failed Bot API call means for the caller. */
export type TelegramFailure =
  /** 401: Telegram does not know the token; nothing works until it is fixed. */
  | { kind: "unauthorized"; description: string }
  /** 429: wait this long before the next call. */
  | { kind: "rate-limited"; retryAfterMs: number; description: string }
  /** Any other 4xx (400 Bad Request, 403 Forbidden...): this call will never succeed as it is. */
  | { kind: "refused"; code: number; description: string }
  /** No answer (network, timeout) or a 5xx: it passes by itself; try again later. */
  | { kind: "transient" };

/** Classifies an error thrown by a Bot API call; undefined when it did not come from Telegram or the network (a bug: rethrow it). */
export function classifyTelegramError(error: unknown): TelegramFailure | undefined {
  if (error instanceof HttpError || error instanceof TelegramClosed) return { kind: "transient" };
  if (!(error instanceof GrammyError)) return undefined;
  if (error.error_code === 401) return { kind: "unauthorized", description: error.description };
  if (error.error_code === 429) return { kind: "rate-limited", retryAfterMs: Math.max(1, error.parameters?.retry_after ?? 5) * 1000, description: error.description };
  if (error.error_code >= 500) return { kind: "transient" };
  return { kind: "refused", code: error.error_code, description: error.description };
}

/** True for errors that mean Telegram refused the token. */
export function isUnauthorized(error: unknown): boolean {
  return classifyTelegramError(error)?.kind === "unauthorized";
}

/** True for errors that mean Telegram could not be reached (network, 5xx). */
export function isTransient(error: unknown): boolean {
  return classifyTelegramError(error)?.kind === "transient";
}

/** Network failures that happen before a request can reach Telegram: nothing was sent. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL"]);

/**
 * Whether Telegram may have carried out a call that failed: true when the request may have
 * arrived and only its answer was lost (no answer within the deadline, a connection dropped
 * mid-way, gaia stopping during the call), false when it surely did not (the connection was
 * refused, the name did not resolve, Telegram or a proxy answered with an error).
 */
export function requestMayHaveArrived(error: unknown): boolean {
  if (error instanceof GrammyError || error instanceof TelegramClosed) return false;
  if (!(error instanceof HttpError)) return false;
  for (let cause: unknown = error.error, depth = 0; cause && depth < 5; depth++) {
    const { code, type } = cause as { code?: unknown; type?: unknown };
    if (typeof code === "string" && NOT_SENT_CODES.has(code)) return false;
    // node-fetch: an answer that was not JSON (a proxy's error page): an answer, not a lost one.
    if (type === "invalid-json") return false;
    cause = (cause as { cause?: unknown }).cause ?? (cause as { error?: unknown }).error;
  }
  return true;
}
