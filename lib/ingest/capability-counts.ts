import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";

// Each tenant's number of capabilities (issue 17), kept by every writer of the capabilities table
// in its own transaction: ingest's upsert (graph.ts) and an escalation's row add the rows they
// inserted; a bulk load (lib/demo/large.ts) counts its tenants again. One row per tenant, so no
// statement touches another tenant's count.

/** Adds `inserted` new capabilities to the tenant's count. */
export async function addCapabilities(tx: Executor, tenant: string, inserted: number): Promise<void> {
  if (inserted <= 0) return;
  await tx.execute(sql`insert into "capability_counts" ("tenant", "n") values (${tenant}, ${inserted})
    on conflict ("tenant") do update set "n" = "capability_counts"."n" + excluded."n"`);
}

/** Sets the tenant's count from its rows (after a bulk load that bypassed the writers). */
export async function recountCapabilities(tx: Executor, tenant: string): Promise<void> {
  await tx.execute(sql`insert into "capability_counts" ("tenant", "n")
    select ${tenant}, count(*) from "capabilities" where "tenant" = ${tenant}
    on conflict ("tenant") do update set "n" = excluded."n"`);
}

/**
 * RETURNING this from an INSERT … ON CONFLICT DO UPDATE says which rows the statement inserted:
 * a row it inserted has no deleting transaction (xmax 0); a row it updated has this one.
 */
export const INSERTED: SQL<boolean> = sql<boolean>`(xmax = 0)`;
