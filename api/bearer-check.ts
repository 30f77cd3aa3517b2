import { createHash, timingSafeEqual } from "node:crypto";
import type { Secret } from "../config/secret.js";
import { ApiError } from "./api-error.js";

/**
 * The bearer check of the `/v1/` routes: a function that throws 401 unless an Authorization
 * header carries the token. Compared in constant time.
 */
export function bearerCheck(token: Secret): (authorization: string | undefined) => void {
  const expected = digest(token.reveal());
  return (authorization) => {
    const match = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
    if (!match || !timingSafeEqual(digest(match[1].trim()), expected)) {
      throw new ApiError(401, "missing or wrong bearer token; send Authorization: Bearer <GAIA_API_TOKEN or .private/api-token>");
    }
  };
}

function digest(value: string): Buffer {
  // Hashing first gives equal-length buffers, as timingSafeEqual needs, without leaking the length.
  return createHash("sha256").update(value).digest();
}
