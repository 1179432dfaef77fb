import { desc, eq } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { type RetentionCutRow, retentionCuts } from "@/db/schema";

/** The tenant's latest retention cut (docs/retention.md): where its chain now starts, or null. */
export async function latestCut(db: Executor, tenant: string): Promise<RetentionCutRow | null> {
  const [cut] = await db
    .select()
    .from(retentionCuts)
    .where(eq(retentionCuts.tenant, tenant))
    .orderBy(desc(retentionCuts.seq))
    .limit(1);
  return cut ?? null;
}
