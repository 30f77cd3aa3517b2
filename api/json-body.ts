import type { IncomingMessage } from "node:http";
import { ApiError } from "./api-error.js";

/** The largest JSON body the API reads (CONTRACT section 6). */
export const MAX_BODY_BYTES = 64 * 1024;

const NOT_JSON = "send a JSON body with Content-Type: application/json";
const TOO_LARGE = "body too large: at most 64 KiB";

/**
 * A request's JSON body: undefined when none was sent; 400 for another content type, an empty
 * or malformed body; 413 beyond MAX_BODY_BYTES, refused from its Content-Length before reading,
 * or as soon as the bytes read pass the limit (nothing more is kept).
 */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const type = request.headers["content-type"];
  const length = request.headers["content-length"];
  const hasBody = (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
  if (type === undefined) {
    if (hasBody) throw new ApiError(400, NOT_JSON);
    return undefined;
  }
  if (type.split(";")[0].trim().toLowerCase() !== "application/json") throw new ApiError(400, NOT_JSON);
  if (length !== undefined && Number(length) > MAX_BODY_BYTES) throw new ApiError(413, TOO_LARGE);
  const text = await readUpTo(request, MAX_BODY_BYTES);
  if (text.trim() === "") throw new ApiError(400, "malformed JSON: the body is empty; send a JSON object");
  try {
    return JSON.parse(text, refusePrototypeKeys);
  } catch (error) {
    throw new ApiError(400, `malformed JSON: ${(error as Error).message}`);
  }
}

function readUpTo(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Keep nothing more; the answer closes the connection (server.ts), so the rest is never read as a request.
      done();
      chunks.length = 0;
      reject(new ApiError(413, TOO_LARGE));
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onAborted = () => {
      done();
      reject(new ApiError(400, "the request body ended before its end (the client hung up)"));
    };
    const done = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onAborted);
      request.off("close", onAborted);
    };
    request.on("data", onData);
    request.once("end", onEnd);
    request.once("error", onAborted);
    request.once("close", onAborted);
  });
}

/**
 * Objects with a `__proto__` or `constructor.prototype` key are refused (400):
 * a route that copies such a body with Object.assign would change an object's prototype.
 */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (key === "__proto__") throw new SyntaxError('the key "__proto__" is not accepted');
  if (key === "constructor" && value !== null && typeof value === "object" && Object.hasOwn(value, "prototype")) {
    throw new SyntaxError('the key "constructor" with a "prototype" is not accepted');
  }
  return value;
}
