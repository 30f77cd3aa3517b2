import { createSign } from "node:crypto";

/**
 * A GitHub App's JSON Web Token (RS256), signed with the App's private key: valid from a minute
 * ago (GitHub's clock may be behind ours) for nine minutes, under GitHub's ten-minute limit.
 */
export function signAppJwt(appId: string, privateKeyPem: string, now: Date = new Date()): string {
  const iat = Math.floor(now.getTime() / 1000) - 60;
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const claims = base64url(JSON.stringify({ iat, exp: iat + 540, iss: appId }));
  const signer = createSign("RSA-SHA256");
  signer.update(`${header}.${claims}`);
  return `${header}.${claims}.${signer.sign(privateKeyPem).toString("base64url")}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}
