import { eq, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { chainHeads, events, type NewEvent } from "@/db/schema";
import { type ChainedContent, chainHash, contentHash, GENESIS_HASH } from "./chain";

/**
 * Appends events to their tenants' hash chains. Must run inside the caller's transaction, so
 * the audit record commits or fails together with what it records. Locks each tenant's chain
 * head row, which serialises writers per tenant and gives consecutive sequence numbers.
 */
export async function appendEvents(tx: Executor, batch: ChainedContent[]): Promise<NewEvent[]> {
  const byTenant = new Map<string, ChainedContent[]>();
  for (const e of batch) {
    const list = byTenant.get(e.tenant) ?? [];
    list.push(e);
    byTenant.set(e.tenant, list);
  }
  const rows: NewEvent[] = [];
  // Sorted tenant order: two transactions touching the same tenants lock them in one order.
  for (const tenant of [...byTenant.keys()].sort()) {
    await tx.insert(chainHeads).values({ tenant, seq: 0, hash: GENESIS_HASH }).onConflictDoNothing();
    const [head] = await tx
      .select({ seq: chainHeads.seq, hash: chainHeads.hash })
      .from(chainHeads)
      .where(eq(chainHeads.tenant, tenant))
      .for("update");
    if (!head) throw new Error(`chain head for ${tenant} missing after insert`);
    let { seq, hash } = head;
    for (const e of byTenant.get(tenant) ?? []) {
      const ch = contentHash(e);
      seq += 1;
      const next = chainHash({ tenant, seq, prevHash: hash, contentHash: ch });
      rows.push({ ...e, meta: e.meta ?? {}, contentHash: ch, seq, prevHash: hash, hash: next });
      hash = next;
    }
    await tx
      .update(chainHeads)
      .set({ seq, hash, updatedAt: sql`now()` })
      .where(eq(chainHeads.tenant, tenant));
  }
  if (rows.length > 0) await tx.insert(events).values(rows);
  return rows;
}
