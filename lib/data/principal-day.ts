import "server-only";
import { and, asc, count, countDistinct, desc, eq, inArray, isNotNull, lt, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { ReadDb, type ReadExecutor } from "@/db/replica";
import { events } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan, can } from "@/lib/auth/permissions";
import { eventsSince } from "@/lib/query/event-time";
import { type CallGroup, type DaySummary, type DenialRow, summarizeDay } from "@/lib/summary/day";
import { buildDayGraph, type DayFlowRow, type DayGraph } from "@/lib/summary/day-graph";
import { type CategorizedDenials, groupDenials } from "@/lib/summary/denials";

export const daySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "day must look like 2026-11-26" })
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), { error: "day is not a calendar date" });

export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Ids and hex make every denial unique; folding them groups denials by the check that failed. */
export function normalizeReason(reason: string): string {
  return reason
    .replace(/#[^\s)|,]+(\|[^\s)|,]+)*/g, "#…")
    .replace(/\b[0-9a-f]{12,}\b/g, "…")
    .replace(/\b(sess|req)_[A-Za-z0-9_]+/g, "$1_…")
    .slice(0, 120);
}

/** Denial counts grouped by the check that failed (ids folded away), largest first. */
export function foldReasons(
  rows: { reason: string | null; n: number }[],
  top: number,
): { name: string; count: number }[] {
  const folded = new Map<string, number>();
  for (const r of rows) {
    const k = normalizeReason(r.reason ?? "no reason given");
    folded.set(k, (folded.get(k) ?? 0) + r.n);
  }
  return [...folded]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, count]) => ({ name, count }));
}

export interface PrincipalDay {
  principal: string;
  day: string;
  totals: { calls: number; requests: number; denied: number; escalationsUsed: number; errors: number };
  perHour: { hour: string; allowed: number; denied: number; error: number }[];
  topTools: { name: string; count: number }[];
  resources: { name: string; count: number }[];
  denials: { reason: string; count: number }[];
  /** observed: calls read from traces (the request is then a trace id); uncovered: without a capability. */
  requests: {
    request: string;
    start: Date;
    calls: number;
    denied: number;
    observed: number;
    uncovered: number;
  }[];
  escalations: { id: string; ts: Date; type: string; outcome: string; reason: string | null }[];
  /** person → agents → tools → resource types, with calls and refusals on every node and edge. */
  graph: DayGraph;
  /** The tenants this principal's calls were in that day (for acting on the principal). */
  tenants: string[];
  /** What the bot did, in plain words. */
  summary: DaySummary;
  /** Refusals by plain category; each keeps its reasons (ids folded for viewers). */
  denialCategories: CategorizedDenials[];
}

/** Everything one principal's bot and sub-agents did on one UTC day, within the caller's tenants. */
export function getPrincipalDay(
  from: ReadExecutor,
  authority: Authority,
  args: { principal: string; day: string },
): Promise<PrincipalDay> {
  return ReadDb.run(from, (db) => principalDayOn(db, authority, args));
}

async function principalDayOn(
  db: Db,
  authority: Authority,
  args: { principal: string; day: string },
): Promise<PrincipalDay> {
  assertCan(authority, "console.read");
  const from = new Date(`${args.day}T00:00:00.000Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const scope = tenantsInView(authority);
  const base = and(
    inArray(events.tenant, scope),
    eq(events.principal, args.principal),
    eventsSince(from),
    lt(events.ts, to),
  );
  const calls = and(base, eq(events.type, "tool.call"));
  const hour = sql<number>`extract(hour from ${events.ts} at time zone 'UTC')::int`;
  const [byHour, tools, resources, reasons, reqs, escalations, flows, groups, refusals, reqTenants] =
    await Promise.all([
      db
        .select({ hour, outcome: events.outcome, n: count() })
        .from(events)
        .where(calls)
        .groupBy(hour, events.outcome),
      db
        .select({ name: events.tool, n: count() })
        .from(events)
        .where(calls)
        .groupBy(events.tool)
        .orderBy(desc(count()))
        .limit(8),
      db
        .select({ name: events.resourceType, n: count() })
        .from(events)
        .where(and(calls, isNotNull(events.resourceType)))
        .groupBy(events.resourceType)
        .orderBy(desc(count()))
        .limit(8),
      db
        .select({ reason: events.reason, n: count() })
        .from(events)
        .where(and(calls, eq(events.outcome, "denied")))
        .groupBy(events.reason)
        .orderBy(desc(count()))
        .limit(300),
      db
        .select({
          request: events.request,
          start: sql<Date>`min(${events.ts})`.mapWith((v) => new Date(v)),
          calls: count(),
          denied: sql<number>`count(*) filter (where ${events.outcome} = 'denied')`.mapWith(Number),
          observed: sql<number>`count(*) filter (where ${events.tier} = 'observed')`.mapWith(Number),
          uncovered: sql<number>`count(*) filter (where ${events.capabilityId} is null)`.mapWith(Number),
        })
        .from(events)
        .where(and(calls, isNotNull(events.request)))
        .groupBy(events.request)
        .orderBy(asc(sql`min(${events.ts})`))
        .limit(500),
      db
        .select({
          id: events.id,
          ts: events.ts,
          type: events.type,
          outcome: events.outcome,
          reason: events.reason,
        })
        .from(events)
        .where(and(base, sql`${events.type} like 'escalation.%'`))
        .orderBy(asc(events.ts)),
      db
        .select({
          agent: events.agent,
          tool: events.tool,
          resourceType: events.resourceType,
          outcome: events.outcome,
          calls: count(),
        })
        .from(events)
        .where(calls)
        .groupBy(events.agent, events.tool, events.resourceType, events.outcome)
        .limit(2000),
      db
        .select({
          tool: events.tool,
          action: events.action,
          resourceType: events.resourceType,
          outcome: events.outcome,
          calls: count(),
          resources: countDistinct(events.resourceId),
        })
        .from(events)
        .where(calls)
        .groupBy(events.tool, events.action, events.resourceType, events.outcome)
        .limit(2000),
      db
        .select({
          tool: events.tool,
          action: events.action,
          resourceType: events.resourceType,
          reason: events.reason,
          count: count(),
        })
        .from(events)
        .where(and(calls, eq(events.outcome, "denied")))
        .groupBy(events.tool, events.action, events.resourceType, events.reason)
        .orderBy(desc(count()))
        .limit(2000),
      db.selectDistinct({ tenant: events.tenant }).from(events).where(calls),
    ]);
  const perHour = Array.from({ length: 24 }, (_, h) => ({
    hour: `${String(h).padStart(2, "0")}h`,
    allowed: 0,
    denied: 0,
    error: 0,
  }));
  for (const r of byHour) {
    const slot = perHour[r.hour];
    if (slot) slot[r.outcome] += r.n;
  }
  // Viewers read refusals by their check with ids folded away; investigators and up, exactly.
  const full = can(authority, "events.read.full");
  const denialRows: DenialRow[] = refusals.map((r) => ({
    ...r,
    reason: r.reason === null || full ? r.reason : normalizeReason(r.reason),
  }));
  const sum = (k: "allowed" | "denied" | "error") => perHour.reduce((s, h) => s + h[k], 0);
  return {
    principal: args.principal,
    day: args.day,
    totals: {
      calls: sum("allowed") + sum("denied") + sum("error"),
      requests: reqs.length,
      denied: sum("denied"),
      errors: sum("error"),
      escalationsUsed: escalations.filter((e) => e.type === "escalation.used" && e.outcome === "allowed")
        .length,
    },
    perHour,
    topTools: tools.map((t) => ({ name: t.name ?? "?", count: t.n })),
    resources: resources.map((r) => ({ name: r.name ?? "?", count: r.n })),
    denials: foldReasons(reasons, 8).map((d) => ({ reason: d.name, count: d.count })),
    requests: reqs.map((r) => ({
      request: r.request ?? "",
      start: r.start,
      calls: r.calls,
      denied: r.denied,
      observed: r.observed,
      uncovered: r.uncovered,
    })),
    escalations: full ? escalations : escalations.map((e) => ({ ...e, reason: null })),
    graph: buildDayGraph(args.principal, flows as DayFlowRow[]),
    tenants: [...new Set(reqTenants.map((r) => r.tenant))].sort(),
    summary: summarizeDay(groups as CallGroup[], denialRows),
    denialCategories: groupDenials(denialRows),
  };
}

/** Tool calls by a principal in the viewer's tenants, with `more` conditions. */
const principalCallsInView = (authority: Authority, ...more: SQL[]) =>
  and(
    inArray(events.tenant, tenantsInView(authority)),
    eq(events.type, "tool.call"),
    isNotNull(events.principal),
    ...more,
  );

/**
 * The latest UTC day (YYYY-MM-DD) on which a bot in the viewer's tenants made a tool call, at
 * or before `notAfter`; undefined when there was none. The Principals page opens on it when no
 * day is asked for, so a manager at 00:30 UTC sees yesterday's people, not an empty list.
 */
export async function latestActiveDay(
  db: Db,
  authority: Authority,
  notAfter: Date,
): Promise<string | undefined> {
  assertCan(authority, "console.read");
  const [row] = await db
    .select({ day: sql<string | null>`to_char(max(${events.ts}) at time zone 'UTC', 'YYYY-MM-DD')` })
    .from(events)
    .where(
      principalCallsInView(
        authority,
        lt(events.ts, new Date(Math.floor(notAfter.getTime() / 86_400_000 + 1) * 86_400_000)),
      ),
    );
  return row?.day ?? undefined;
}

/** Principals active in view on a day, busiest first, for the Principals index. */
export async function listPrincipalsForDay(db: Db, authority: Authority, day: string) {
  assertCan(authority, "console.read");
  const from = new Date(`${day}T00:00:00.000Z`);
  const to = new Date(from.getTime() + 86_400_000);
  return db
    .select({
      principal: events.principal,
      tenant: events.tenant,
      calls: count(),
      denied: sql<number>`count(*) filter (where ${events.outcome} = 'denied')`.mapWith(Number),
    })
    .from(events)
    .where(principalCallsInView(authority, eventsSince(from), lt(events.ts, to)))
    .groupBy(events.principal, events.tenant)
    .orderBy(desc(count()))
    .limit(200);
}
