import { createHash } from "node:crypto";

const NAME = /^[A-Za-z0-9_.:@/+-]{1,200}$/;

/**
 * The id a capability names for a resource. Token facts take names only ([A-Za-z0-9_.:@/+-],
 * at most 200), but a gateway's resources are often file paths ("/tmp/my notes.txt", up to
 * 1000 characters). A name stays as it is; anything else becomes `sha256:<hex>` of its UTF-8
 * bytes. The console (escalations) and the gateway (per-call narrowing) both use this, so a
 * grant and a call name the same resource the same way.
 */
export function capabilityResourceId(resourceId: string): string {
  if (NAME.test(resourceId)) return resourceId;
  return `sha256:${createHash("sha256").update(resourceId, "utf8").digest("hex")}`;
}
