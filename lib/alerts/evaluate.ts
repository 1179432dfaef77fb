// Rule evaluation, one function for both live evaluation (new events after a rule's cursor) and
// backtests (a past time range): the candidates are read the same way, each aggregation is one
// question to the database about events up to the candidate in chain order, and dedup is one
// pure decision over the firings so far. So a backtest over the events a live run saw fires the
// same alerts, and a live run never sees an event "from the future" of its trigger.
import { and, asc, eq, gt, inArray, isNull, lt, lte, not, type SQL, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { capabilities, events } from "@/db/schema";
import { parseQuery } from "@/lib/query";
import { eventsSince } from "@/lib/query/event-time";
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
  /** Live evaluation only: what earlier rounds of this process read of each group's history. */
  cache?: HistoryCache;
}

/**
 * Per rule and group, the history a round read, kept for the next round of the same process so
 * it reads only the events after it (a rule's window would otherwise be read again every round:
 * thousands of rows a second on a busy tenant). An entry is exact for the group's matching events
 * with seq in [1, upTo] and time after `from` (windowed kinds) or at all times (new_value). Keyed by
 * tenant, rule, definition and group, so an edited rule starts afresh; bounded in size.
 */
export class HistoryCache {
  private entries = new Map<string, HistoryEntry>();
  constructor(private readonly maxEntries = 5_000) {}
  get(key: string): HistoryEntry | undefined {
    return this.entries.get(key);
  }
  set(key: string, entry: HistoryEntry) {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, entry);
  }
}

interface HistoryEntry {
  upTo: number;
  /** Windowed kinds: the rows (chain order) with time after `from`. */
  from: number;
  rows: Seen[];
  /** new_value: the last time each value was seen, over every row up to `upTo`. */
  lastSeen: Map<string, number>;
}

/** Queries with after:/before: depend on `now`, so what matched once may not match later: never cached. */
const TIME_TERM = /\b(after|before)\s*:/i;

export interface EvaluateResult {
  firings: Firing[];
  /** The last seq looked at: the live cursor moves here. */
  lastSeq: number | null;
  /** Whether every candidate in the range was looked at (false when `limit` cut it). */
  complete: boolean;
}

/** Depth and "wider than its parent" of each capability, in two queries for the whole round. */
async function capabilityFacts(tx: Executor, tenant: string, ids: string[]) {
  const facts = new Map<string, { depth: number; wider: string | null }>();
  if (ids.length === 0) return facts;
  const caps = await tx
    .select({
      id: capabilities.id,
      depth: capabilities.depth,
      parentId: capabilities.parentId,
      summary: capabilities.summary,
    })
    .from(capabilities)
    .where(and(eq(capabilities.tenant, tenant), inArray(capabilities.id, ids)));
  const parentIds = [...new Set(caps.flatMap((c) => (c.parentId ? [c.parentId] : [])))];
  const parents = new Map(
    parentIds.length === 0
      ? []
      : (
          await tx
            .select({ id: capabilities.id, summary: capabilities.summary })
            .from(capabilities)
            .where(and(eq(capabilities.tenant, tenant), inArray(capabilities.id, parentIds)))
        ).map((p) => [p.id, p.summary]),
  );
  for (const c of caps) {
    const parent = c.parentId ? parents.get(c.parentId) : undefined;
    facts.set(c.id, { depth: c.depth, wider: parent ? widerRight(c.summary, parent) : null });
  }
  return facts;
}

function ofExpression(key: GroupKey): SQL {
  return key === "resource"
    ? sql`case when ${events.resourceType} is null then null else ${events.resourceType} || coalesce('#' || ${events.resourceId}, '') end`
    : sql`${GROUP_COLUMN[key]}`;
}

export interface Seen {
  seq: number;
  ts: Date;
  v: string | null;
}

/**
 * The window questions (how many, how many distinct, the first) over a group's history in chain
 * order, when its times never go back along the chain, as they do when events are appended as
 * they happen: then a member's window is one run of the history, found by binary search, and the
 * distinct count slides along with the members. Null when some time goes back: the caller then
 * filters the whole history per member, which is exact for any order.
 */
export function timeOrdered(history: readonly Seen[], windowMs: number) {
  for (let i = 1; i < history.length; i++)
    if ((history[i] as Seen).ts.getTime() < (history[i - 1] as Seen).ts.getTime()) return null;
  const ts = history.map((h) => h.ts.getTime());
  /** The first index whose entry is past `ok` (entries satisfying `ok` form a prefix). */
  const firstNot = (ok: (i: number) => boolean) => {
    let lo = 0;
    let hi = history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ok(mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** [lo, end): the entries with seq ≤ e.seq and time in (t − window, t]. */
  const range = (e: Candidate, t: number): [number, number] => {
    const lo = firstNot((i) => (ts[i] as number) <= t - windowMs);
    const end = Math.min(
      firstNot((i) => (history[i] as Seen).seq <= e.seq),
      firstNot((i) => (ts[i] as number) <= t),
    );
    return [lo, Math.max(lo, end)];
  };
  // The distinct values of [from, to), moved along as members advance (both ends only grow).
  const counts = new Map<string, number>();
  let from = 0;
  let to = 0;
  const add = (i: number, by: number) => {
    const v = (history[i] as Seen).v;
    if (v === null) return;
    const n = (counts.get(v) ?? 0) + by;
    if (n === 0) counts.delete(v);
    else counts.set(v, n);
  };
  return {
    count: (e: Candidate, t: number) => {
      const [lo, end] = range(e, t);
      return end - lo;
    },
    distinct: (e: Candidate, t: number) => {
      const [lo, end] = range(e, t);
      if (lo < from || end < to) {
        counts.clear();
        from = lo;
        to = lo;
      }
      while (to < end) add(to++, 1);
      while (from < lo) add(from++, -1);
      return counts.size;
    },
    first: (e: Candidate, t: number) => {
      const [lo, end] = range(e, t);
      const h = history[lo];
      return lo < end && h && h.seq < e.seq ? h : undefined;
    },
  };
}

/**
 * Every candidate is judged against the events that match the rule's query in its group, up to
 * it in chain order. Those are read once per group and round (not once per candidate), and the
 * window, distinct and sequence questions are answered in memory, so a burst of matches costs a
 * few queries, not one each.
 */
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
      : and(eventsSince(args.range.from), lt(events.ts, args.range.to));
  const limit = args.limit ?? 1000;
  const candidates = await tx
    .select(candidateColumns)
    .from(events)
    .where(and(eq(events.tenant, args.tenant), range, triggerWhere, NOT_ALERTS))
    .orderBy(asc(events.seq))
    .limit(limit);
  const facts =
    d.minDepth !== undefined || d.widerThanParent
      ? await capabilityFacts(tx, args.tenant, [
          ...new Set(candidates.flatMap((c) => (c.capabilityId ? [c.capabilityId] : []))),
        ])
      : new Map<string, { depth: number; wider: string | null }>();
  const windowMs = d.windowMinutes * 60_000;
  const a = d.aggregation;

  const groups = new Map<string, { group: Record<string, string | null>; members: Candidate[] }>();
  for (const e of candidates) {
    const group: Record<string, string | null> = {};
    for (const k of d.groupBy) group[k] = groupValue(e, k);
    const key = JSON.stringify(d.groupBy.map((k) => group[k] ?? null));
    const g = groups.get(key) ?? { group, members: [] };
    g.members.push(e);
    groups.set(key, g);
  }

  const hits: { e: Candidate; group: Record<string, string | null>; detail: string; dedupKey: string }[] = [];
  for (const { group, members } of groups.values()) {
    const sameGroup = d.groupBy.map((k) => equalsGroup(k, group[k] ?? null));
    const minTs = Math.min(...members.map((m) => m.ts.getTime()));
    const maxTs = Math.max(...members.map((m) => m.ts.getTime()));
    const maxSeq = (members[members.length - 1] as Candidate).seq;
    const minSeq = (members[0] as Candidate).seq;
    const inGroup = and(eq(events.tenant, args.tenant), base, NOT_ALERTS, ...sameGroup);
    let history: Seen[] = [];
    let lastSeen = new Map<string, number>();
    const cacheKey =
      args.cache && !TIME_TERM.test(d.query) && !(a.kind === "sequence" && TIME_TERM.test(a.followedBy))
        ? JSON.stringify([args.tenant, args.ruleId, d, group])
        : null;
    const cached = cacheKey ? args.cache?.get(cacheKey) : undefined;
    if (a.kind === "count" || a.kind === "distinct" || a.kind === "sequence") {
      const of = a.kind === "distinct" ? ofExpression(a.of) : sql`null`;
      const from = minTs - windowMs;
      const read = (cond: SQL | undefined) =>
        tx
          .select({ seq: events.seq, ts: events.ts, v: sql<string | null>`${of}` })
          .from(events)
          .where(and(inGroup, cond))
          .orderBy(asc(events.seq)) as Promise<Seen[]>;
      if (cacheKey) {
        // The entry keeps every row after `from` up to maxSeq, whatever its time: a later round's
        // window may need those past maxTs too. This round looks at those up to maxTs. An entry
        // that covers the window needs only what came after the last round.
        const rows =
          cached && cached.from <= from && cached.upTo <= maxSeq
            ? [
                ...cached.rows,
                ...(await read(and(gt(events.seq, cached.upTo), lte(events.seq, maxSeq)))),
              ].filter((h) => h.ts.getTime() > from)
            : await read(and(lte(events.seq, maxSeq), gt(events.ts, new Date(from))));
        history = rows.filter((h) => h.ts.getTime() <= maxTs);
        args.cache?.set(cacheKey, { upTo: maxSeq, from, rows, lastSeen });
      } else {
        history = await read(
          and(lte(events.seq, maxSeq), gt(events.ts, new Date(from)), lte(events.ts, new Date(maxTs))),
        );
      }
    } else if (a.kind === "new_value") {
      const lookback = new Date(minTs - a.lookbackDays * 86_400_000);
      const lastByValue = async (cond: SQL | undefined) => {
        const rows = await tx
          .select({ v: sql<string | null>`${ofExpression(a.of)}`, last: sql<string>`max(${events.ts})` })
          .from(events)
          .where(and(inGroup, cond))
          .groupBy(ofExpression(a.of));
        return rows.flatMap((r) => (r.v === null ? [] : [[r.v, new Date(r.last).getTime()] as const]));
      };
      // The entry serves when it ends before this round's first candidate and reaches back past
      // the lookback.
      const usable = cached && cached.upTo < minSeq && cached.from <= lookback.getTime() ? cached : undefined;
      if (usable) {
        // Values seen before minSeq: the entry's, brought up to date with the rows after it.
        lastSeen = new Map(usable.lastSeen);
        for (const [v, t] of await lastByValue(and(gt(events.seq, usable.upTo), lt(events.seq, minSeq))))
          lastSeen.set(v, Math.max(lastSeen.get(v) ?? t, t));
      } else {
        // A value last seen before the lookback fires as a new one, as an absent one does.
        for (const [v, t] of await lastByValue(and(lt(events.seq, minSeq), gt(events.ts, lookback))))
          lastSeen.set(v, t);
      }
      if (cacheKey)
        args.cache?.set(cacheKey, {
          upTo: minSeq - 1,
          // The entry knows every value seen after this (later lookbacks only start later).
          from: usable?.from ?? lookback.getTime(),
          rows: [],
          lastSeen: new Map(lastSeen),
        });
    }
    const window = timeOrdered(history, windowMs);
    for (const e of members) {
      const t = e.ts.getTime();
      let detail = "";
      let fires = true;
      if (a.kind === "new_value") {
        // Every match counts as an occurrence, also one that cannot fire (hours, depth).
        const value = groupValue(e, a.of);
        const seen = value === null ? undefined : lastSeen.get(value);
        fires = value !== null && (seen === undefined || seen <= t - a.lookbackDays * 86_400_000);
        if (value !== null) lastSeen.set(value, Math.max(seen ?? t, t));
        detail = `${a.of} ${value}: first in ${a.lookbackDays} days`;
      }
      if (!fires) continue;
      if (d.hours !== "any" && insideBusinessHours(e.ts, args.hours) !== (d.hours === "inside")) continue;
      if (d.minDepth !== undefined || d.widerThanParent) {
        const c = e.capabilityId ? facts.get(e.capabilityId) : undefined;
        if (!c) continue;
        if (d.minDepth !== undefined && c.depth < d.minDepth) continue;
        if (d.widerThanParent) {
          if (!c.wider) continue;
          detail = `capability ${e.capabilityId} grants ${c.wider}, which its parent does not`;
        }
      }
      const inWindow = (h: Seen) => h.seq <= e.seq && h.ts.getTime() > t - windowMs && h.ts.getTime() <= t;
      if (a.kind === "count") {
        const n = window ? window.count(e, t) : history.filter(inWindow).length;
        if (n < a.threshold) continue;
        detail = `${n} matching events within ${d.windowMinutes} min`;
      } else if (a.kind === "distinct") {
        const n = window
          ? window.distinct(e, t)
          : new Set(history.filter(inWindow).flatMap((h) => (h.v === null ? [] : [h.v]))).size;
        if (n < a.threshold) continue;
        detail = `${n} distinct ${a.of} values within ${d.windowMinutes} min`;
      } else if (a.kind === "sequence") {
        const first = window ? window.first(e, t) : history.find((h) => inWindow(h) && h.seq < e.seq);
        if (!first) continue;
        detail = `${e.type} ${Math.round((t - first.ts.getTime()) / 1000)} s after a match of "${d.query}"`;
      } else if (a.kind === "each" && !detail) {
        detail = `${e.type}${e.tool ? ` ${e.tool}` : ""}`;
      }
      // A new value is its own alert; otherwise the group is.
      const dedupKey = JSON.stringify([
        args.ruleId,
        d.groupBy.map((k) => group[k] ?? null),
        ...(a.kind === "new_value" ? [groupValue(e, a.of)] : []),
      ]);
      hits.push({ e, group, detail, dedupKey });
    }
  }

  hits.sort((x, y) => x.e.seq - y.e.seq);
  const fired = new Map<string, Date | null>();
  const firings: Firing[] = [];
  for (const h of hits) {
    if (!fired.has(h.dedupKey)) fired.set(h.dedupKey, await args.lastFired(h.dedupKey));
    const last = fired.get(h.dedupKey) ?? null;
    const t = h.e.ts.getTime();
    if (last && t - last.getTime() < d.dedupMinutes * 60_000 && t >= last.getTime()) continue;
    fired.set(h.dedupKey, h.e.ts);
    firings.push({ dedupKey: h.dedupKey, group: h.group, trigger: h.e, detail: h.detail });
  }
  const last = candidates[candidates.length - 1];
  return { firings, lastSeq: last ? last.seq : null, complete: candidates.length < limit };
}
