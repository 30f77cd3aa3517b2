import type { Duplex } from "node:stream";

const ANSWERS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "request headers too large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "the request took too long to arrive; send it whole"],
};

/**
 * What node:http cannot parse or took too long to receive (a slow-loris, headers over 16 KiB,
 * not HTTP at all) never reaches a route: answer it as the API answers, JSON `{ error }`, and
 * close. Node's own default, in its words: write only when nothing was written on the socket yet.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }): void {
  if (socket.writable && socket.bytesWritten === 0) {
    const [status, reason, message] = ANSWERS[error.code ?? ""] ?? [400, "Bad Request", "malformed HTTP request"];
    const body = JSON.stringify({ error: message });
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
