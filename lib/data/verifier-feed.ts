import type { PublishedKey, RevocationFeedEntry, RevocationFeedPage } from "@capability-console/sdk/schema";
import "server-only";
import { and, asc, eq, gt, isNull, max, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { issuers, revocations } from "@/db/schema";

// What verifiers in other services read, scoped to the tenant their API key fixes. These take
// the tenant from the authenticated key, never from the request.

// What these answer is the SDK's wire schema (packages/sdk/src/schema/wire.ts): one definition.
export type { PublishedKey };
/** A retired key is listed until its verifiesUntil (the grace period), then disappears. */

/** The tenant's issuer keys and the console's own (tenant null), minus retired ones past grace. */
export async function listPublishedKeys(
  db: Db,
  scope: { tenant: string },
  now = new Date(),
): Promise<PublishedKey[]> {
  const rows = await db
    .select()
    .from(issuers)
    .where(
      and(
        or(eq(issuers.tenant, scope.tenant), isNull(issuers.tenant)),
        or(eq(issuers.status, "active"), gt(issuers.verifiesUntil, now)),
      ),
    )
    .orderBy(asc(issuers.createdAt), asc(issuers.kid));
  return rows.map((r) => ({
    kid: r.kid,
    alg: "ed25519" as const,
    publicKey: r.publicKey,
    status: r.status,
    ...(r.status === "retired" && r.verifiesUntil ? { verifiesUntil: r.verifiesUntil.toISOString() } : {}),
  }));
}

export type FeedEntry = RevocationFeedEntry;

export const FEED_PAGE = 500;

/**
 * The cursor for a tenant's next feed entry: its highest plus one. Cursors are per tenant since
 * migration 0003 (entries from before keep their global numbers, which still increase within a
 * tenant). Use it only after taking the tenant's chain-head lock (appendEvents), so the tenant's
 * cursors are taken and committed in one order; the unique (tenant, cursor) index refuses a
 * writer that did not.
 */
export function nextFeedCursor(tenant: string): SQL<number> {
  return sql<number>`(select coalesce(max(r.cursor), 0) + 1 from revocations r where r.tenant = ${tenant})`;
}

/**
 * Revocations after `since`, oldest first; `next` is the cursor to ask with next time, `head` the
 * tenant's highest cursor (0 when nothing is revoked). A `since` above `head` is not a cursor of
 * this tenant's feed (one kept from another console or database): a follower starts again at 0.
 * A cursor is only safe to skip past if no lower cursor can still commit: writers of
 * revocations must take the tenant's chain head lock (appendEvents) before inserting the row,
 * so a tenant's cursors are assigned and committed in one order.
 */
export async function listRevocationsSince(
  db: Db,
  scope: { tenant: string; since: number; limit?: number },
): Promise<RevocationFeedPage & { head: number }> {
  // head first: an entry committed between the two reads is then at most reported early, never
  // hidden behind a head that is lower than a cursor already handed out.
  const [top] = await db
    .select({ head: max(revocations.cursor) })
    .from(revocations)
    .where(eq(revocations.tenant, scope.tenant));
  const rows = await db
    .select()
    .from(revocations)
    .where(and(eq(revocations.tenant, scope.tenant), gt(revocations.cursor, scope.since)))
    .orderBy(asc(revocations.cursor))
    .limit(Math.min(scope.limit ?? FEED_PAGE, FEED_PAGE));
  const last = rows.at(-1)?.cursor ?? scope.since;
  return {
    head: Math.max(Number(top?.head ?? 0), rows.length > 0 ? last : 0),
    revocations: rows.map((r) => ({
      cursor: r.cursor,
      kind: r.kind,
      target: r.target,
      revokedIds: r.revokedIds,
      reason: r.reason,
      at: r.at.toISOString(),
    })),
    next: rows.at(-1)?.cursor ?? scope.since,
  };
}
