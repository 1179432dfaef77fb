import "server-only";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { apiKeys } from "@/db/schema";
import { apiKeyMatches, hashApiKey } from "./api-keys";

export interface IngestPrincipal {
  keyId: string;
  tenant: string;
  source: string;
}

const KEY = /^cck_[A-Za-z0-9_-]{20,100}$/;
const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The ingest key presented as `Authorization: Bearer cck_...`, or null for a missing, malformed,
 * unknown or revoked key (one answer for all: the caller learns nothing about which). The key is
 * found by its sha256 (a unique index) and then compared in constant time.
 */
export async function authenticateApiKey(
  db: Executor,
  authorization: string | null,
): Promise<IngestPrincipal | null> {
  const key = authorization ? BEARER.exec(authorization)?.[1] : undefined;
  if (!key || !KEY.test(key)) return null;
  const [row] = await db
    .select({
      id: apiKeys.id,
      tenant: apiKeys.tenant,
      source: apiKeys.source,
      keyHash: apiKeys.keyHash,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, hashApiKey(key)));
  if (!row || row.revokedAt !== null || !apiKeyMatches(key, row.keyHash)) return null;
  return { keyId: row.id, tenant: row.tenant, source: row.source };
}

/** Whether a key authenticated earlier is still unrevoked (for long-lived answers that recheck it). */
export async function apiKeyLive(db: Executor, key: { tenant: string; keyId: string }): Promise<boolean> {
  const [row] = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.tenant, key.tenant), eq(apiKeys.id, key.keyId), isNull(apiKeys.revokedAt)));
  return row !== undefined;
}

/** Records use at most once a minute per key, outside the ingest transaction (no row lock to queue on). */
export async function touchApiKey(db: Executor, key: { tenant: string; keyId: string }): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.tenant, key.tenant),
        eq(apiKeys.id, key.keyId),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`)),
      ),
    );
}
