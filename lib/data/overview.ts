import "server-only";
import { and, count, desc, eq, gt, gte, inArray, isNotNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { ReadDb, type ReadExecutor } from "@/db/replica";
import { capabilities, escalations, events, revocations } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan, can } from "@/lib/auth/permissions";
import { eventsSince } from "@/lib/query/event-time";
import { foldReasons } from "./principal-day";

export interface Overview {
  tenants: string[];
  events24h: number;
  denied24h: number;
  capabilities: number;
  perDay: { label: string; allowed: number; denied: number; error: number }[];
  denials: { name: string; count: number }[];
  principals: { name: string; count: number }[];
  agents: { name: string; count: number }[];
  revocations: {
    id: string;
    ts: Date;
    type: string;
    principal: string | null;
    session: string | null;
    reason: string | null;
  }[];
  activeEscalations: { id: string; principal: string; operation: Record<string, unknown>; expiresAt: Date }[];
  recent: {
    id: string;
    ts: Date;
    tenant: string;
    type: string;
    principal: string | null;
    outcome: string;
    tier: string;
  }[];
}

const DAY = 86_400_000;

/** The overview's figures, scoped to the tenants in view. Open to every role. */
export function getOverview(from: ReadExecutor, authority: Authority, now = new Date()): Promise<Overview> {
  return ReadDb.run(from, (db) => overviewOn(db, authority, now));
}

async function overviewOn(db: Db, authority: Authority, now: Date): Promise<Overview> {
  assertCan(authority, "console.read");
  const scope = tenantsInView(authority);
  const since24h = new Date(now.getTime() - DAY);
  const since7d = new Date(Math.floor(now.getTime() / DAY) * DAY - 6 * DAY);
  const inScope = inArray(events.tenant, scope);
  const calls7d = and(inScope, eq(events.type, "tool.call"), eventsSince(since7d));
  const day = sql<string>`to_char(${events.ts} at time zone 'UTC', 'YYYY-MM-DD')`;
  const [[ev], [denied], [caps], byDay, reasons, principals, agents, revoked, active, recent] =
    await Promise.all([
      db
        .select({ n: count() })
        .from(events)
        .where(and(inScope, eventsSince(since24h))),
      db
        .select({ n: count() })
        .from(events)
        .where(and(inScope, eventsSince(since24h), eq(events.outcome, "denied"))),
      db.select({ n: count() }).from(capabilities).where(inArray(capabilities.tenant, scope)),
      db
        .select({ day, outcome: events.outcome, n: count() })
        .from(events)
        .where(calls7d)
        .groupBy(day, events.outcome),
      db
        .select({ reason: events.reason, n: count() })
        .from(events)
        .where(and(calls7d, eq(events.outcome, "denied")))
        .groupBy(events.reason)
        .orderBy(desc(count()))
        .limit(300),
      db
        .select({ name: events.principal, n: count() })
        .from(events)
        .where(and(calls7d, isNotNull(events.principal)))
        .groupBy(events.principal)
        .orderBy(desc(count()))
        .limit(6),
      db
        .select({ name: events.agent, n: count() })
        .from(events)
        .where(and(calls7d, isNotNull(events.agent)))
        .groupBy(events.agent)
        .orderBy(desc(count()))
        .limit(6),
      db
        // The console's revocations (the verifier feed), not *.revoked events: a platform's own
        // report of a revocation is not one verifiers act on (issue 11).
        .select({
          id: revocations.id,
          ts: revocations.at,
          type: sql<string>`${revocations.kind}::text || '.revoked'`,
          principal: sql<
            string | null
          >`case when ${revocations.kind} = 'principal' then ${revocations.target} end`,
          session: sql<
            string | null
          >`case when ${revocations.kind} = 'session' then ${revocations.target} end`,
          reason: revocations.reason,
        })
        .from(revocations)
        .where(and(inArray(revocations.tenant, scope), gte(revocations.at, since7d)))
        .orderBy(desc(revocations.at))
        .limit(8),
      db
        .select({
          id: escalations.id,
          principal: escalations.principal,
          operation: escalations.operation,
          expiresAt: escalations.expiresAt,
        })
        .from(escalations)
        .where(
          and(
            inArray(escalations.tenant, scope),
            eq(escalations.status, "active"),
            gt(escalations.expiresAt, now),
          ),
        )
        .orderBy(escalations.expiresAt)
        .limit(20),
      db
        .select({
          id: events.id,
          ts: events.ts,
          tenant: events.tenant,
          type: events.type,
          principal: events.principal,
          outcome: events.outcome,
          tier: events.tier,
        })
        .from(events)
        .where(inScope)
        .orderBy(desc(events.ts), desc(events.id))
        .limit(10),
    ]);
  const perDay = Array.from({ length: 7 }, (_, i) => ({
    label: new Date(since7d.getTime() + i * DAY).toISOString().slice(0, 10),
    allowed: 0,
    denied: 0,
    error: 0,
  }));
  for (const r of byDay) {
    const slot = perDay.find((d) => d.label === r.day);
    if (slot) slot[r.outcome] += r.n;
  }
  const viewer = !can(authority, "events.read.full");
  return {
    tenants: scope,
    events24h: ev?.n ?? 0,
    denied24h: denied?.n ?? 0,
    capabilities: caps?.n ?? 0,
    perDay,
    denials: foldReasons(reasons, 6),
    principals: principals.map((p) => ({ name: p.name ?? "?", count: p.n })),
    agents: agents.map((a) => ({ name: a.name ?? "?", count: a.n })),
    revocations: viewer ? revoked.map((r) => ({ ...r, reason: null })) : revoked,
    activeEscalations: active.flatMap((a) => (a.expiresAt ? [{ ...a, expiresAt: a.expiresAt }] : [])),
    recent,
  };
}
