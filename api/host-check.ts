import { isIP } from "node:net";
import { isLoopbackHost, isWildcardHost } from "../config/loopback.js";
import { ApiError } from "./api-error.js";

/**
 * DNS rebinding: a web page whose name the attacker points at 127.0.0.1 reaches this API from the
 * admin's browser, but its requests carry the attacker's name as Host. Answer only ours: 421
 * otherwise. A request without Host (HTTP/1.0) names nobody and passes.
 */
export function checkHost(header: string | undefined, listenHost: string): void {
  if (header === undefined || isOurHost(header, listenHost)) return;
  throw new ApiError(
    421,
    `this API answers requests addressed to localhost, 127.0.0.1, [::1] or ${listenHost}, not to ${JSON.stringify(header.slice(0, 100))} (DNS rebinding protection)`,
  );
}

/**
 * Whether a Host header names this API: a loopback name or the listen address, with any port.
 * Listening on every interface, any IP address is ours too: the machine's addresses are not
 * known here, and a rebinding page always sends a name, never an address.
 */
function isOurHost(header: string, listenHost: string): boolean {
  const match = /^(\[[^\]]*\]|[^:]*)(:\d{1,5})?$/.exec(header.trim());
  if (!match) return false;
  const name = match[1].replace(/^\[|\]$/g, "").toLowerCase();
  if (isLoopbackHost(name) || name === listenHost.toLowerCase()) return true;
  return isWildcardHost(listenHost) && isIP(name) !== 0;
}
