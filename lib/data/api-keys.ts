import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Executor } from "@/db/client";
import { apiKeys } from "@/db/schema";

const PREFIX = "cck_";

/** A new ingest key: 256 random bits, recognisable by its prefix. Shown once, stored hashed. */
export function generateApiKey(): string {
  return `${PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(key), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function insertApiKey(
  tx: Executor,
  args: { tenant: string; source: string; createdBy: string },
): Promise<{ id: string; key: string }> {
  const key = generateApiKey();
  const [row] = await tx
    .insert(apiKeys)
    .values({
      tenant: args.tenant,
      source: args.source,
      prefix: key.slice(0, PREFIX.length + 6),
      keyHash: hashApiKey(key),
      createdBy: args.createdBy,
    })
    .returning({ id: apiKeys.id });
  if (!row) throw new Error("insert returned no row");
  return { id: row.id, key };
}
