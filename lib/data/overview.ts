import "server-only";
import { and, asc, count, desc, eq, gt, gte, inArray, isNotNull, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { ReadDb, type ReadExecutor } from "@/db/replica";
import { capabilityCounts, escalations, events, revocations } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan, can } from "@/lib/auth/permissions";
import { pgTimestampToDate } from "@/lib/query/cursor";
import { eventsSince } from "@/lib/query/event-time";
import { mergedPerTenant } from "./events-query";
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

type Counted = { name: string | null; n: number };

/** The Overview's event aggregates over the tenants in `scope`. */
export interface OverviewAggregates {
  events24h: number;
  denied24h: number;
  /** Tool calls per UTC day (YYYY-MM-DD) and outcome, days since `since7d`. */
  byDay: { day: string; outcome: "allowed" | "denied" | "error"; n: number }[];
  /** Denied tool calls by reason, most first (up to 300, before folding). */
  reasons: { reason: string | null; n: number }[];
  principals: Counted[];
  agents: Counted[];
}

const HOUR = 3_600_000;

/** The windows: the last 24 hours, and 7 UTC days up to today. */
export function overviewWindows(now: Date) {
  const since24h = new Date(now.getTime() - DAY);
  return {
    since24h,
    // The first whole hour inside the 24 hours: rollups from it on, raw rows before it.
    wholeHoursFrom: new Date(Math.ceil(since24h.getTime() / HOUR) * HOUR),
    since7d: new Date(Math.floor(now.getTime() / DAY) * DAY - 6 * DAY),
  };
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * From the rollups kept at ingest (lib/audit/rollups.ts): whole hours and days are read from
 * them; only the part of the first hour of the 24-hour window is counted from events (at most an
 * hour of rows, on the (tenant, ts) index). Equal to aggregatesFromEvents (a property test).
 */
export async function aggregatesFromRollups(
  db: Db,
  scope: readonly string[],
  now: Date,
): Promise<OverviewAggregates> {
  if (scope.length === 0)
    return { events24h: 0, denied24h: 0, byDay: [], reasons: [], principals: [], agents: [] };
  const { since24h, wholeHoursFrom, since7d } = overviewWindows(now);
  const tenants = sql.join(
    scope.map((t) => sql`${t}`),
    sql`, `,
  );
  const day = since7d.toISOString().slice(0, 10);
  const head = and(inArray(events.tenant, [...scope]), eventsSince(since24h), lt(events.ts, wholeHoursFrom));
  const rows = async <T>(q: SQL) => ((await db.execute(q)) as unknown as { rows: T[] }).rows;
  const [hours, [edge], byDay, reasons, principals, agents] = await Promise.all([
    rows<{ outcome: string; n: string }>(
      sql`select outcome, sum(n) as n from event_rollups_hourly where tenant in (${tenants}) and hour >= ${wholeHoursFrom.toISOString()}::timestamptz group by outcome`,
    ),
    db
      .select({ n: count(), denied: sql<number>`count(*) filter (where ${events.outcome} = 'denied')` })
      .from(events)
      .where(head),
    rows<{ day: string; outcome: "allowed" | "denied" | "error"; n: string }>(
      sql`select day::text as day, value as outcome, sum(n) as n from event_rollups_daily where tenant in (${tenants}) and dim = 'outcome' and day >= ${day}::date group by day, value`,
    ),
    rows<{ reason: string | null; n: string }>(
      sql`select value as reason, sum(n) as n from event_rollups_daily where tenant in (${tenants}) and dim = 'reason' and day >= ${day}::date group by value order by sum(n) desc, value limit 300`,
    ),
    rows<{ name: string; n: string }>(
      sql`select value as name, sum(n) as n from event_rollups_daily where tenant in (${tenants}) and dim = 'principal' and day >= ${day}::date group by value order by sum(n) desc, value limit 6`,
    ),
    rows<{ name: string; n: string }>(
      sql`select value as name, sum(n) as n from event_rollups_daily where tenant in (${tenants}) and dim = 'agent' and day >= ${day}::date group by value order by sum(n) desc, value limit 6`,
    ),
  ]);
  const whole = (o?: string) => hours.filter((h) => !o || h.outcome === o).reduce((a, h) => a + num(h.n), 0);
  return {
    events24h: whole() + num(edge?.n),
    denied24h: whole("denied") + num(edge?.denied),
    byDay: byDay.map((r) => ({ day: r.day, outcome: r.outcome, n: num(r.n) })),
    reasons: reasons.map((r) => ({ reason: r.reason, n: num(r.n) })),
    principals: principals.map((r) => ({ name: r.name, n: num(r.n) })),
    agents: agents.map((r) => ({ name: r.name, n: num(r.n) })),
  };
}

/** The same aggregates from the events themselves: what the rollups must equal (tests, bench). */
export async function aggregatesFromEvents(
  db: Db,
  scope: readonly string[],
  now: Date,
): Promise<OverviewAggregates> {
  const { since24h, since7d } = overviewWindows(now);
  const inScope = inArray(events.tenant, [...scope]);
  const calls7d = and(inScope, eq(events.type, "tool.call"), eventsSince(since7d));
  const day = sql<string>`to_char(${events.ts} at time zone 'UTC', 'YYYY-MM-DD')`;
  const [[ev], [denied], byDay, reasons, principals, agents] = await Promise.all([
    db
      .select({ n: count() })
      .from(events)
      .where(and(inScope, eventsSince(since24h))),
    db
      .select({ n: count() })
      .from(events)
      .where(and(inScope, eventsSince(since24h), eq(events.outcome, "denied"))),
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
      .orderBy(desc(count()), asc(events.reason))
      .limit(300),
    db
      .select({ name: events.principal, n: count() })
      .from(events)
      .where(and(calls7d, isNotNull(events.principal)))
      .groupBy(events.principal)
      .orderBy(desc(count()), asc(events.principal))
      .limit(6),
    db
      .select({ name: events.agent, n: count() })
      .from(events)
      .where(and(calls7d, isNotNull(events.agent)))
      .groupBy(events.agent)
      .orderBy(desc(count()), asc(events.agent))
      .limit(6),
  ]);
  return {
    events24h: ev?.n ?? 0,
    denied24h: denied?.n ?? 0,
    byDay: byDay.map((r) => ({ day: r.day, outcome: r.outcome, n: r.n })),
    reasons,
    principals,
    agents,
  };
}

type RecentEvent = Overview["recent"][number];

/**
 * The newest `limit` events across `tenants`: each tenant's newest (a short walk down its
 * (tenant, ts, id) index), merged, rather than a sort of every event in scope.
 */
async function latestEvents(db: Db, tenants: readonly string[], limit: number): Promise<RecentEvent[]> {
  if (tenants.length === 0) return [];
  const result = (await db.execute(
    mergedPerTenant(
      tenants,
      sql`select "events"."id", "events"."ts", "events"."tenant", "events"."type", "events"."principal", "events"."outcome", "events"."tier"
        from "events" where "events"."tenant" = "scope"."tenant" order by "events"."ts" desc, "events"."id" desc limit ${limit}`,
      "ts_desc",
      limit,
    ),
  )) as unknown as { rows: (Omit<RecentEvent, "ts"> & { ts: string })[] };
  return result.rows.map((r) => ({ ...r, ts: pgTimestampToDate(r.ts) }));
}

async function overviewOn(db: Db, authority: Authority, now: Date): Promise<Overview> {
  assertCan(authority, "console.read");
  const scope = tenantsInView(authority);
  const { since7d } = overviewWindows(now);
  const [agg, [caps], revoked, active, recent] = await Promise.all([
    aggregatesFromRollups(db, scope, now),
    db
      .select({ n: sql<number>`coalesce(sum(${capabilityCounts.n}), 0)::int` })
      .from(capabilityCounts)
      .where(inArray(capabilityCounts.tenant, scope)),
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
        session: sql<string | null>`case when ${revocations.kind} = 'session' then ${revocations.target} end`,
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
    latestEvents(db, scope, 10),
  ]);
  const perDay = Array.from({ length: 7 }, (_, i) => ({
    label: new Date(since7d.getTime() + i * DAY).toISOString().slice(0, 10),
    allowed: 0,
    denied: 0,
    error: 0,
  }));
  for (const r of agg.byDay) {
    const slot = perDay.find((d) => d.label === r.day);
    if (slot) slot[r.outcome] += r.n;
  }
  const viewer = !can(authority, "events.read.full");
  return {
    tenants: scope,
    events24h: agg.events24h,
    denied24h: agg.denied24h,
    capabilities: caps?.n ?? 0,
    perDay,
    denials: foldReasons(agg.reasons, 6),
    principals: agg.principals.map((p) => ({ name: p.name ?? "?", count: p.n })),
    agents: agg.agents.map((a) => ({ name: a.name ?? "?", count: a.n })),
    revocations: viewer ? revoked.map((r) => ({ ...r, reason: null })) : revoked,
    activeEscalations: active.flatMap((a) => (a.expiresAt ? [{ ...a, expiresAt: a.expiresAt }] : [])),
    recent,
  };
}
