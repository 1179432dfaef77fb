import "server-only";
import { desc, eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { chainHeads, treeCheckpoints } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";

export interface TenantLogView {
  tenant: string;
  /** Events in the tenant's log now (its chain head). */
  events: number;
  /** The latest signed tree checkpoint, or null before the first. */
  latest: { size: number; signedAt: Date; kid: string; note: string } | null;
  /** Every stored checkpoint size, newest first (the sizes proofs can be asked against), at most 20. */
  sizes: number[];
}

/** The Merkle log page: per tenant in view, its head and signed checkpoints. */
export async function listTenantLogs(db: Db, authority: Authority): Promise<TenantLogView[]> {
  assertCan(authority, "log.read");
  const tenants = tenantsInView(authority).sort();
  if (tenants.length === 0) return [];
  const heads = await db
    .select({ tenant: chainHeads.tenant, seq: chainHeads.seq })
    .from(chainHeads)
    .where(inArray(chainHeads.tenant, tenants));
  const out: TenantLogView[] = [];
  for (const tenant of tenants) {
    const recent = await db
      .select({
        size: treeCheckpoints.size,
        signedAt: treeCheckpoints.signedAt,
        kid: treeCheckpoints.kid,
        note: treeCheckpoints.note,
      })
      .from(treeCheckpoints)
      .where(eq(treeCheckpoints.tenant, tenant))
      .orderBy(desc(treeCheckpoints.size))
      .limit(20);
    out.push({
      tenant,
      events: heads.find((h) => h.tenant === tenant)?.seq ?? 0,
      latest: recent[0] ?? null,
      sizes: recent.map((c) => c.size),
    });
  }
  return out;
}
