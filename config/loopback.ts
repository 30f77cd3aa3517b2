import { isIP } from "node:net";

/**
 * Whether a host name or address stays on this machine: `localhost` (and its subdomains, which
 * resolvers keep local too), 127.0.0.0/8, ::1 and IPv4-mapped 127.x. A name that needs DNS is not
 * loopback, whatever it resolves to today.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(name) || /^::ffff:127\./.test(name);
  return false;
}

/** Whether a listen address is every interface (`0.0.0.0`, `::`). */
export function isWildcardHost(host: string): boolean {
  const name = host.trim().replace(/^\[|\]$/g, "");
  return name === "0.0.0.0" || name === "::" || /^(0{1,4}:){7}0{1,4}$/.test(name);
}
