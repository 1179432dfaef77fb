import { CapabilityError } from "./errors.js";

/**
 * Cross-process format: `Authorization: Bearer <base64url Biscuit token>` (RFC 6750 syntax).
 * The scheme name is case-insensitive; exactly one token, no padding games beyond "=".
 */
const BEARER = /^Bearer +([A-Za-z0-9_-]+={0,2}) *$/i;

export function formatBearer(token: string): string {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token))
    throw new CapabilityError("invalid_argument", "token is not base64url");
  return `Bearer ${token}`;
}

/** Returns the token from an Authorization header value, or throws CapabilityError("malformed"). */
export function parseBearer(header: string | null | undefined): string {
  const match = typeof header === "string" ? BEARER.exec(header) : null;
  if (!match) throw new CapabilityError("malformed", "expected an Authorization: Bearer <token> header");
  return match[1] as string;
}
