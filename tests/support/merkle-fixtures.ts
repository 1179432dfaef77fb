import { asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { events } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import type { Hash } from "@/lib/merkle/hash";
import { leafOfContentHash } from "@/lib/merkle/store";

// Events for the Merkle log tests (tests/integration/merkle-*.test.ts).

let counter = 0;

/** `n` distinct minimal events of one tenant, ready for appendEvents. */
export function content(tenant: string, n: number): ChainedContent[] {
  return Array.from({ length: n }, () => {
    counter += 1;
    return {
      id: `ev-${process.pid}-${counter}`,
      ts: new Date(1_800_000_000_000 + counter),
      tenant,
      type: "tool.call",
      principal: "p@x.test",
      outcome: "allowed" as const,
      meta: { n: counter },
    };
  });
}

/** tree: false writes a schema before 0005, which has no rollup tables either (0012). */
export async function append(db: Db, batch: ChainedContent[], tree = true): Promise<void> {
  await db.transaction((tx) => appendEvents(tx, batch, undefined, { tree, rollups: tree }));
}

/** The tenant's leaf hashes from its stored events, in seq order (seqs checked to be 1..n). */
export async function leavesOf(db: Db, tenant: string): Promise<Hash[]> {
  const rows = await db
    .select({ seq: events.seq, contentHash: events.contentHash })
    .from(events)
    .where(eq(events.tenant, tenant))
    .orderBy(asc(events.seq));
  rows.forEach((r, i) => {
    if (r.seq !== i + 1) throw new Error(`${tenant}: seq ${r.seq} at position ${i + 1}`);
  });
  return rows.map((r) => leafOfContentHash(r.contentHash));
}
