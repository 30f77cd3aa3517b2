/**
 * A deadline on every Bot API call, fitting its kind, so that a connection that is accepted and
 * never answered (a NAT or Wi-Fi drop) costs seconds, not grammY's default 500 s:
 *
 * - a long poll (`getUpdates`) may take its own `timeout` plus a margin: Telegram always answers
 *   a long poll within its timeout, so a poll older than that is talking to a dead connection;
 * - everything else (sends, edits, button answers, getMe, the command menu) gets a few seconds.
 *
 * While polls fail, the next ones ask for a short poll, so that each attempt on a dead network
 * ends within seconds and polling resumes within seconds of Telegram answering again (not after
 * a whole long poll's deadline). `abortAll()` ends every call in flight at once, for shutdown.
 */
import type { Transformer } from "grammy";

/** How long a healthy long poll waits for updates at Telegram (grammY's default too). */
export const LONG_POLL_SECONDS = 30;
/** Added to a long poll's own timeout: the network's share of its deadline. */
export const LONG_POLL_MARGIN_MS = 5_000;
/** The deadline of every other call (a message, an edit, a button answer, getMe). */
export const CALL_DEADLINE_MS = 10_000;
/** Sending a file may take longer than a message. */
export const UPLOAD_DEADLINE_MS = 60_000;
/** The long poll's timeout while polls fail: each attempt on a dead connection ends soon. */
const PROBING_POLL_SECONDS = 0;
/**
 * grammY's own deadline on any request (`client.timeoutSeconds`): a backstop above every deadline
 * here, so that this transformer is what ends a call.
 */
export const CLIENT_TIMEOUT_SECONDS = LONG_POLL_SECONDS + LONG_POLL_MARGIN_MS / 1000 + 10;

const UPLOADS = new Set(["sendDocument", "sendPhoto", "sendAudio", "sendVideo", "sendAnimation", "sendVoice", "sendVideoNote", "sendMediaGroup", "sendSticker"]);

/** Raised instead of making a call once `abortAll()` was called (gaia is stopping). */
export class TelegramClosed extends Error {
  constructor(method: string) {
    super(`not calling ${method}: gaia is stopping`);
    this.name = "TelegramClosed";
  }
}

/** See the file comment. One per bot; install its transformer first, so it times each attempt. */
export class TelegramDeadlines {
  private readonly closing = new AbortController();
  private pollsFailing = false;

  /** The deadline of a call, in milliseconds. */
  deadlineMs(method: string, payload: { timeout?: unknown }): number {
    if (method === "getUpdates") {
      const timeout = typeof payload.timeout === "number" ? payload.timeout : 0;
      return timeout * 1000 + LONG_POLL_MARGIN_MS;
    }
    return UPLOADS.has(method) ? UPLOAD_DEADLINE_MS : CALL_DEADLINE_MS;
  }

  /** Aborted once gaia stops: every call in flight ends, and no new one starts. */
  get closingSignal(): AbortSignal {
    return this.closing.signal;
  }

  /** Ends every call in flight and refuses new ones (shutdown). */
  abortAll(): void {
    this.closing.abort(new Error("gaia is stopping"));
  }

  transformer(): Transformer {
    return (async (prev, method, payload, signal) => {
      if (this.closing.signal.aborted) throw new TelegramClosed(method);
      let sent = payload as Record<string, unknown>;
      if (method === "getUpdates" && this.pollsFailing && typeof sent.timeout === "number" && sent.timeout > PROBING_POLL_SECONDS) {
        sent = { ...sent, timeout: PROBING_POLL_SECONDS };
      }
      // One signal for the attempt: its deadline, shutdown, or the caller's own. Listened to by
      // hand: grammY's and the runner's signals come from a polyfill that AbortSignal.any ignores.
      const attempt = new AbortController();
      const abort = () => attempt.abort();
      const timer = setTimeout(abort, this.deadlineMs(method, sent));
      const sources = [this.closing.signal, ...(signal ? [signal] : [])] as AbortSignal[];
      for (const source of sources) {
        if (source.aborted) abort();
        else source.addEventListener("abort", abort);
      }
      try {
        const result = await prev(method, sent as typeof payload, attempt.signal as typeof signal);
        if (method === "getUpdates") this.pollsFailing = false;
        return result;
      } catch (error) {
        // A poll the caller cancelled (polling stopped) says nothing about the network.
        if (method === "getUpdates" && !signal?.aborted) this.pollsFailing = true;
        throw error;
      } finally {
        clearTimeout(timer);
        for (const source of sources) source.removeEventListener("abort", abort);
      }
    }) as Transformer;
  }
}
