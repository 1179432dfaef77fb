// Rule evaluation, one function for both live evaluation (new events after a rule's cursor) and
// backtests (a past time range): the candidates are read the same way, each aggregation is one
// question to the database about events up to the candidate in chain order, and dedup is one
// pure decision over the firings so far. So a backtest over the events a live run saw fires the
// same alerts, and a live run never sees an event "from the future" of its trigger.
import {
  and,
  asc,
  count,
  countDistinct,
  eq,
  gt,
  gte,
  isNull,
  lt,
  lte,
  not,
  type SQL,
  sql,
} from "drizzle-orm";
import type { Executor } from "@/db/client";
import { capabilities, events } from "@/db/schema";
import { parseQuery } from "@/lib/query";
import { queryToSql } from "@/lib/query/sql";
import { widerRight } from "./rights";
import { type AlertDefinition, type BusinessHours, type GroupKey, insideBusinessHours } from "./rule";

export interface Candidate {
  seq: number;
  id: string;
  ts: Date;
  type: string;
  principal: string | null;
  agent: string | null;
  session: string | null;
  request: string | null;
  tool: string | null;
  resourceType: string | null;
  resourceId: string | null;
  capabilityId: string | null;
}

export interface Firing {
  dedupKey: string;
  group: Record<string, string | null>;
  trigger: Candidate;
  /** Why, in words: "12 denied calls in 5 min", "tool crm.export, first in 30 days". */
  detail: string;
}

const candidateColumns = {
  seq: events.seq,
  id: events.id,
  ts: events.ts,
  type: events.type,
  principal: events.principal,
  agent: events.agent,
  session: events.session,
  request: events.request,
  tool: events.tool,
  resourceType: events.resourceType,
  resourceId: events.resourceId,
  capabilityId: events.capabilityId,
};

const GROUP_COLUMN = {
  principal: events.principal,
  agent: events.agent,
  session: events.session,
  request: events.request,
  tool: events.tool,
  capability: events.capabilityId,
} as const;

export function groupValue(e: Candidate, key: GroupKey): string | null {
  if (key === "resource")
    return e.resourceType ? `${e.resourceType}${e.resourceId ? `#${e.resourceId}` : ""}` : null;
  if (key === "capability") return e.capabilityId;
  return e[key];
}

function equalsGroup(key: GroupKey, value: string | null): SQL {
  if (key === "resource") {
    if (value === null) return isNull(events.resourceType);
    const [type, id] = value.split("#") as [string, string | undefined];
    return and(
      eq(events.resourceType, type),
      id === undefined ? isNull(events.resourceId) : eq(events.resourceId, id),
    ) as SQL;
  }
  const col = GROUP_COLUMN[key];
  return value === null ? isNull(col) : eq(col, value);
}

/** The rule's query as a condition within one tenant (alerts never look across tenants). */
export function compileQuery(tenant: string, text: string, now: Date): SQL {
  const parsed = parseQuery(text, { now });
  if (!parsed.ok) throw new Error(`query: ${parsed.error.message}`);
  const compiled = queryToSql(parsed.query, { tenants: [tenant], detail: "full" });
  if (!compiled.ok) throw new Error(`query: ${compiled.error.message}`);
  return compiled.where;
}

// The console's own alert records never feed rules (an alert about alerts would loop).
const NOT_ALERTS = not(sql`${events.type} like 'console.alert.%'`);

export type Range = { afterSeq: number; headSeq: number } | { from: Date; to: Date };

export interface EvaluateArgs {
  tenant: string;
  ruleId: string;
  definition: AlertDefinition;
  range: Range;
  hours: BusinessHours;
  /** The last firing time per dedup key before this run (live: from the alerts table). */
  lastFired: (dedupKey: string) => Promise<Date | null>;
  limit?: number;
  now?: Date;
}

export interface EvaluateResult {
  firings: Firing[];
  /** The last seq looked at: the live cursor moves here. */
  lastSeq: number | null;
  /** Whether every candidate in the range was looked at (false when `limit` cut it). */
  complete: boolean;
}

async function depthAndWidth(tx: Executor, tenant: string, capabilityId: string) {
  const [cap] = await tx
    .select({ depth: capabilities.depth, parentId: capabilities.parentId, summary: capabilities.summary })
    .from(capabilities)
    .where(and(eq(capabilities.tenant, tenant), eq(capabilities.id, capabilityId)));
  if (!cap) return null;
  let wider: string | null = null;
  if (cap.parentId) {
    const [parent] = await tx
      .select({ summary: capabilities.summary })
      .from(capabilities)
      .where(and(eq(capabilities.tenant, tenant), eq(capabilities.id, cap.parentId)));
    if (parent) wider = widerRight(cap.summary, parent.summary);
  }
  return { depth: cap.depth, wider };
}

export async function evaluateRule(tx: Executor, args: EvaluateArgs): Promise<EvaluateResult> {
  const d = args.definition;
  const now = args.now ?? new Date();
  const base = compileQuery(args.tenant, d.query, now);
  // For a sequence the trigger is the second step; the rule's query is the first.
  const triggerWhere =
    d.aggregation.kind === "sequence" ? compileQuery(args.tenant, d.aggregation.followedBy, now) : base;
  const range =
    "afterSeq" in args.range
      ? and(gt(events.seq, args.range.afterSeq), lte(events.seq, args.range.headSeq))
      : and(gte(events.ts, args.range.from), lt(events.ts, args.range.to));
  const limit = args.limit ?? 1000;
  const candidates = await tx
    .select(candidateColumns)
    .from(events)
    .where(and(eq(events.tenant, args.tenant), range, triggerWhere, NOT_ALERTS))
    .orderBy(asc(events.seq))
    .limit(limit);
  const firings: Firing[] = [];
  const fired = new Map<string, Date>();
  const windowMs = d.windowMinutes * 60_000;
  for (const e of candidates) {
    if (d.hours !== "any" && insideBusinessHours(e.ts, args.hours) !== (d.hours === "inside")) continue;
    let capabilityNote = "";
    if (d.minDepth !== undefined || d.widerThanParent) {
      const c = e.capabilityId ? await depthAndWidth(tx, args.tenant, e.capabilityId) : null;
      if (!c) continue;
      if (d.minDepth !== undefined && c.depth < d.minDepth) continue;
      if (d.widerThanParent) {
        if (!c.wider) continue;
        capabilityNote = `capability ${e.capabilityId} grants ${c.wider}, which its parent does not`;
      }
    }
    const group: Record<string, string | null> = {};
    for (const k of d.groupBy) group[k] = groupValue(e, k);
    const sameGroup = d.groupBy.map((k) => equalsGroup(k, group[k] ?? null));
    // Only events up to the trigger in chain order: what a live run could have seen at that point.
    const upTo = and(eq(events.tenant, args.tenant), lte(events.seq, e.seq), base, NOT_ALERTS, ...sameGroup);
    const inWindow = and(upTo, gt(events.ts, new Date(e.ts.getTime() - windowMs)), lte(events.ts, e.ts));
    let detail = capabilityNote;
    const a = d.aggregation;
    if (a.kind === "count") {
      const [row] = await tx.select({ n: count() }).from(events).where(inWindow);
      const n = Number(row?.n ?? 0);
      if (n < a.threshold) continue;
      detail = `${n} matching events within ${d.windowMinutes} min`;
    } else if (a.kind === "distinct") {
      const col =
        a.of === "resource"
          ? sql`${events.resourceType} || '#' || coalesce(${events.resourceId}, '')`
          : GROUP_COLUMN[a.of];
      const [row] = await tx
        .select({ n: countDistinct(col) })
        .from(events)
        .where(inWindow);
      const n = Number(row?.n ?? 0);
      if (n < a.threshold) continue;
      detail = `${n} distinct ${a.of} values within ${d.windowMinutes} min`;
    } else if (a.kind === "new_value") {
      const value = groupValue(e, a.of);
      if (value === null) continue;
      const [seen] = await tx
        .select({ n: count() })
        .from(events)
        .where(
          and(
            upTo,
            lt(events.seq, e.seq),
            equalsGroup(a.of, value),
            gt(events.ts, new Date(e.ts.getTime() - a.lookbackDays * 86_400_000)),
          ),
        );
      if (Number(seen?.n ?? 0) > 0) continue;
      detail = `${a.of} ${value}: first in ${a.lookbackDays} days`;
    } else if (a.kind === "sequence") {
      const [first] = await tx
        .select({ id: events.id, ts: events.ts })
        .from(events)
        .where(and(inWindow, lt(events.seq, e.seq)))
        .orderBy(asc(events.seq))
        .limit(1);
      if (!first) continue;
      detail = `${e.type} ${Math.round((e.ts.getTime() - first.ts.getTime()) / 1000)} s after a match of "${d.query}"`;
    } else if (!detail) {
      detail = `${e.type}${e.tool ? ` ${e.tool}` : ""}`;
    }
    const dedupKey = JSON.stringify([args.ruleId, d.groupBy.map((k) => group[k] ?? null)]);
    const last = fired.get(dedupKey) ?? (await args.lastFired(dedupKey));
    if (last && e.ts.getTime() - last.getTime() < d.dedupMinutes * 60_000 && e.ts.getTime() >= last.getTime())
      continue;
    fired.set(dedupKey, e.ts);
    firings.push({ dedupKey, group, trigger: e, detail });
  }
  const last = candidates[candidates.length - 1];
  return { firings, lastSeq: last ? last.seq : null, complete: candidates.length < limit };
}
