import "server-only";
import { and, count, desc, eq, gte, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { capabilities, events } from "@/db/schema";
import { type Authority, assertRole, tenantsInView } from "@/lib/auth/authority";

export interface OverviewCounts {
  tenants: string[];
  events24h: number;
  denied24h: number;
  capabilities: number;
  recent: { id: string; ts: Date; tenant: string; type: string; principal: string | null; outcome: string }[];
}

/** The overview's figures, scoped to the tenants in view. Open to every role. */
export async function getOverview(db: Db, authority: Authority, now = new Date()): Promise<OverviewCounts> {
  assertRole(authority, ["viewer", "investigator", "admin"]);
  const scope = tenantsInView(authority);
  const since = new Date(now.getTime() - 24 * 60 * 60 * 1000);
  const inScope = inArray(events.tenant, scope);
  const [[ev], [denied], [caps], recent] = await Promise.all([
    db
      .select({ n: count() })
      .from(events)
      .where(and(inScope, gte(events.ts, since))),
    db
      .select({ n: count() })
      .from(events)
      .where(and(inScope, gte(events.ts, since), eq(events.outcome, "denied"))),
    db.select({ n: count() }).from(capabilities).where(inArray(capabilities.tenant, scope)),
    db
      .select({
        id: events.id,
        ts: events.ts,
        tenant: events.tenant,
        type: events.type,
        principal: events.principal,
        outcome: events.outcome,
      })
      .from(events)
      .where(inScope)
      .orderBy(desc(events.ts), desc(events.id))
      .limit(10),
  ]);
  return {
    tenants: scope,
    events24h: ev?.n ?? 0,
    denied24h: denied?.n ?? 0,
    capabilities: caps?.n ?? 0,
    recent,
  };
}
