import { randomBytes } from "node:crypto";

// One implementation of UUIDv7, shared with agent platforms through the SDK.
export { uuidv7 } from "@capability-console/sdk";

/** An opaque random identifier, url-safe. */
export function randomId(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}
