import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { events, tenants } from "@/db/schema";
import { expiryBoundary, retentionDays } from "./sweep";

/** How long expired events may stay before a tenant's retention counts as overdue. */
export const RETENTION_GRACE_MS = 86_400_000;

export interface OverdueRetention {
  tenant: string;
  retentionDays: number;
  /** Events received before this should have been archived and deleted a day ago or more. */
  expiredBefore: string;
}

/**
 * The tenants among `scope` whose retention is behind: they still hold events that expired more
 * than RETENTION_GRACE_MS ago. Read from the data, not from a job's memory, so it says the same
 * on every console instance and catches every cause (a refused cut, a job that does not run, a
 * lock that never frees). Reads one row per tenant at most, from months that should be gone.
 */
export async function overdueRetention(
  db: Executor,
  scope: readonly string[],
  now = new Date(),
): Promise<OverdueRetention[]> {
  if (scope.length === 0) return [];
  const rows = await db
    .select({ id: tenants.id, settings: tenants.settings })
    .from(tenants)
    .where(inArray(tenants.id, [...scope]))
    .orderBy(tenants.id);
  const out: OverdueRetention[] = [];
  for (const t of rows) {
    const days = retentionDays(t.settings);
    if (days === null) continue;
    const before = expiryBoundary(new Date(now.getTime() - RETENTION_GRACE_MS), days);
    const [left] = await db
      .select({ one: sql<number>`1` })
      .from(events)
      .where(and(eq(events.tenant, t.id), lt(events.receivedAt, before)))
      .limit(1);
    if (left) out.push({ tenant: t.id, retentionDays: days, expiredBefore: before.toISOString() });
  }
  return out;
}
