import "server-only";
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { ReadDb, type ReadExecutor } from "@/db/replica";
import { type Event, events } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan, can } from "@/lib/auth/permissions";
import { LIMITS } from "@/lib/ingest/event-schema";
import {
  type Cursor,
  decodeCursor,
  EVENT_SORTS,
  type EventSort,
  encodeCursor,
  pgTimestampToCursorTs,
  pgTimestampToDate,
} from "@/lib/query/cursor";
import { eventsSinceSql } from "@/lib/query/event-time";
import { parseQuery } from "@/lib/query/parse";
import { type Detail, queryToSql } from "@/lib/query/sql";
import type { QueryError } from "@/lib/query/types";
import {
  boundedRows,
  EXPORT_BUDGET,
  PAGE_BUDGET,
  type QueryBudget,
  QueryTooExpensiveError,
} from "./query-budget";

// Viewers (managers) get a summary: who did what to which resource, when, and the outcome. The
// why (reason), the capability (id, hash), the input digest, trace ids, fields and meta are for
// investigators: they describe authority internals, and a viewer could otherwise probe them
// through filters, so the query keys over them (reason:, cap:, under:, cap.right:) are refused
// to viewers too. Nobody gets the hash-chain internals (content_hash, seq, prev_hash, hash).
const summaryColumns = {
  id: events.id,
  ts: events.ts,
  tenant: events.tenant,
  type: events.type,
  principal: events.principal,
  agent: events.agent,
  session: events.session,
  request: events.request,
  tool: events.tool,
  action: events.action,
  resourceType: events.resourceType,
  resourceId: events.resourceId,
  outcome: events.outcome,
  latencyMs: events.latencyMs,
  // Attested or observed (issue 13): every view shows which, so one never passes for the other.
  tier: events.tier,
};
const detailColumns = {
  ...summaryColumns,
  receivedAt: events.receivedAt,
  traceId: events.traceId,
  spanId: events.spanId,
  fields: events.fields,
  reason: events.reason,
  capabilityId: events.capabilityId,
  capabilityHash: events.capabilityHash,
  inputDigest: events.inputDigest,
  cost: events.cost,
  meta: events.meta,
};

/**
 * `late`: received more than LIMITS.lateAfterMs after its ts (a buffered batch, a replay).
 * Computed on read from received_at − ts, so it needs no column and follows the constant.
 */
interface Late {
  late: boolean;
  /** A tool call that ran under no capability (an observed span without capcon.* attributes). */
  uncovered: boolean;
}
export type EventSummaryRow = Pick<Event, keyof typeof summaryColumns> & Late;
export type EventDetailRow = Pick<Event, keyof typeof detailColumns> & Late;
export type EventRow = EventSummaryRow | EventDetailRow;

/** Column names in display order, e.g. for an export's header line. */
export const EVENT_SUMMARY_COLUMNS = [
  ...Object.keys(summaryColumns),
  "late",
  "uncovered",
] as (keyof EventSummaryRow)[];
export const EVENT_DETAIL_COLUMNS = [
  ...Object.keys(detailColumns),
  "late",
  "uncovered",
] as (keyof EventDetailRow)[];

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
export const EXPORT_BATCH_SIZE = 1000;

export interface ListEventsInput {
  /** The search box (?q=); empty or missing: every event in view. */
  q?: string | null;
  sort?: EventSort;
  /** The nextCursor of the previous page. */
  cursor?: string | null;
  /** The prevCursor of the next page: the page just before it, read backwards on the same index. */
  before?: string | null;
  limit?: number;
  /** What relative times (15m, today…) count from; injected so tests and shared links agree. */
  now?: Date;
  /** The statement timeout and estimate bound (PAGE_BUDGET); tests inject smaller ones. */
  budget?: QueryBudget;
}

export type ListEventsResult = (
  | { detail: "summary"; rows: EventSummaryRow[] }
  | { detail: "full"; rows: EventDetailRow[] }
) & {
  nextCursor: string | null;
  /** The page before this one (null on the first page). */
  prevCursor: string | null;
  /** A parse error (no rows), a bad cursor (no rows), or a notice such as a tenant out of scope. */
  error?: QueryError;
};

/** Thrown by exportEvents for a query that does not parse; validate with parseQuery first. */
export class EventsQueryError extends Error {
  override name = "EventsQueryError";
  constructor(readonly error: QueryError) {
    super(error.message);
  }
}

const CURSOR_ERROR: QueryError = {
  message: "This page link is no longer valid.",
  position: 0,
  length: 0,
  hint: "Go back to the first page.",
};

export function parseSort(value: unknown): EventSort {
  return EVENT_SORTS.includes(value as EventSort) ? (value as EventSort) : "ts_desc";
}

export function detailFor(authority: Authority): Detail {
  return can(authority, "events.read.full") ? "full" : "summary";
}

export type Prepared =
  | {
      ok: true;
      where: SQL;
      detail: Detail;
      notice?: QueryError;
      /**
       * Set when a page over several tenants is best read as each tenant's newest rows merged
       * (see fetchPage): more than one tenant in view and no free text. `tenants` is the scope
       * itself (tenantsInView), `filter` the query's condition without it.
       */
      perTenant?: { tenants: readonly string[]; filter: SQL };
    }
  | { ok: false; error: QueryError };

/**
 * The role check, the parse and the compilation to a scoped condition, before any statement
 * runs: callers answer a query that does not parse (400) or that uses a key the role may not
 * (error.code "forbidden", 403) before they send a byte or write an audit event.
 */
export function prepareEventsQuery(
  authority: Authority,
  q: string | null | undefined,
  now: Date | undefined,
): Prepared {
  assertCan(authority, "events.read");
  const detail = detailFor(authority);
  const parsed = parseQuery(q ?? "", { now: now ?? new Date() });
  if (!parsed.ok) return parsed;
  const tenants = tenantsInView(authority);
  const compiled = queryToSql(parsed.query, { tenants, detail });
  if (!compiled.ok) return compiled;
  const perTenant = tenants.length > 1 && tenants.length <= PER_TENANT_MAX && !compiled.freeText;
  return {
    ok: true,
    where: compiled.where,
    detail,
    notice: compiled.notices[0],
    ...(perTenant ? { perTenant: { tenants, filter: compiled.filter } } : {}),
  };
}

/**
 * Up to this many tenants in view, a page is read per tenant and merged; past it, one statement
 * over all of them (an index walk per tenant would cost more than it saves).
 */
const PER_TENANT_MAX = 200;

// A row comparison on (ts, id), matching the ORDER BY and the (tenant, ts, id) index.
function keyset(sort: EventSort, after: Cursor): SQL {
  return sort === "ts_desc"
    ? sql`("events"."ts", "events"."id") < (${after.ts}::timestamptz, ${after.id})`
    : sql`("events"."ts", "events"."id") > (${after.ts}::timestamptz, ${after.id})`;
}

// The head of the query ("select … from events") written once per role, as one chunk, from
// the schema's own column names (never from input): drizzle's per-call work on two dozen column
// objects cost more than the query itself on a first page served from an index. Timestamps are
// selected as stored: drizzle hands timestamptz over as Postgres's text, which carries the
// microseconds, so the Dates and the cursor are read from that text here. (Converting on the
// server instead, an extract(epoch …) per timestamp and a to_char per row, cost the database
// more than returning the rest of the row.)
const LATE = `("events"."received_at" - "events"."ts") > interval '${LIMITS.lateAfterMs / 1000} seconds' as "late"`;
const UNCOVERED = `("events"."type" = 'tool.call' and "events"."capability_id" is null) as "uncovered"`;
function selectList(columns: Record<string, { name: string }>, extra: readonly string[] = []): SQL {
  const names = Object.entries(columns).map(([key, col]) =>
    key === col.name ? `"events"."${key}"` : `"events"."${col.name}" as "${key}"`,
  );
  return sql.raw(`select ${[...names, LATE, UNCOVERED, ...extra].join(", ")} from "events"`);
}
const SELECT = { full: selectList(detailColumns), summary: selectList(summaryColumns) };
/** The live tail's head: the role's columns plus the chain position it follows (never shown). */
export const TAIL_SELECT = {
  full: selectList(detailColumns, [`"events"."seq" as "chainSeq"`]),
  summary: selectList(summaryColumns, [`"events"."seq" as "chainSeq"`]),
};
const ORDER: Record<EventSort, SQL> = {
  ts_desc: sql.raw(`order by "events"."ts" desc, "events"."id" desc`),
  ts_asc: sql.raw(`order by "events"."ts" asc, "events"."id" asc`),
};

const PAGE_ORDER: Record<EventSort, SQL> = {
  ts_desc: sql.raw(`order by "page"."ts" desc, "page"."id" desc`),
  ts_asc: sql.raw(`order by "page"."ts" asc, "page"."id" asc`),
};

/**
 * The first `limit` rows, in `sort` order, of every tenant's `perTenant` (a select over events
 * that names "scope"."tenant" and takes its own first `limit` in the same order), merged and cut
 * to `limit`: the first `limit` overall are among them. One walk per tenant instead of a sort of
 * every row in scope.
 */
export function mergedPerTenant(
  tenants: readonly string[],
  perTenant: SQL,
  sort: EventSort,
  limit: number,
): SQL {
  return sql`select "page".* from unnest(array[${sql.join(
    tenants.map((t) => sql`${t}`),
    sql`, `,
  )}]::text[]) as "scope"("tenant") cross join lateral (${perTenant}) as "page" ${PAGE_ORDER[sort]} limit ${limit}`;
}

export type RawRow = Record<string, unknown> & { id: string; ts: string; receivedAt?: string };

/** Turns the timestamps of raw rows (Postgres's text) into Dates, in place. */
export function readTimestamps(rows: RawRow[], detail: Detail): void {
  const full = detail === "full";
  for (const row of rows) {
    (row as Record<string, unknown>).ts = pgTimestampToDate(row.ts);
    if (full) (row as Record<string, unknown>).receivedAt = pgTimestampToDate(row.receivedAt as string);
  }
}

async function fetchPage(
  db: Db,
  args: {
    where: SQL;
    detail: Detail;
    sort: EventSort;
    after: Cursor | null;
    limit: number;
    budget: QueryBudget;
    /**
     * Read the page that ends just before `after` instead: the same keyset turned around (the
     * opposite comparison and order on the same index), the rows put back in `sort` order.
     */
    backward?: boolean;
    /** Prepared.perTenant: read each of these tenants' first rows, then merge them. */
    perTenant?: { tenants: readonly string[]; filter: SQL };
  },
): Promise<{ rows: EventDetailRow[]; last: Cursor | null; first: Cursor | null; more: boolean }> {
  const walk: EventSort = args.backward ? (args.sort === "ts_desc" ? "ts_asc" : "ts_desc") : args.sort;
  const where = args.after ? sql`(${args.where} and ${keyset(walk, args.after)})` : args.where;
  const n = args.limit + 1;
  // Over several tenants, "the newest n matches" sorted every match of every tenant (hundreds of
  // milliseconds at a few hundred thousand events). The same page is each tenant's newest n
  // (a short walk down its (tenant, ts, id) index in every partition), merged and cut to n: the
  // global first n are among them, so the rows, their order and the cursors are the same.
  // Each tenant's walk names its tenant, one of the scope's, so the scope's `tenant in (…)` is
  // left out of it: beside `tenant = …` it made every walk try each tenant of the list.
  const statement = args.perTenant
    ? mergedPerTenant(
        args.perTenant.tenants,
        sql`${SELECT[args.detail]} where "events"."tenant" = "scope"."tenant" and ${args.after ? sql`(${args.perTenant.filter} and ${keyset(walk, args.after)})` : args.perTenant.filter} ${ORDER[walk]} limit ${n}`,
        walk,
        n,
      )
    : sql`${SELECT[args.detail]} where ${where} ${ORDER[walk]} limit ${n}`;
  const fetched = await boundedRows<RawRow>(db, statement, args.budget);
  const more = fetched.length > args.limit;
  if (more) fetched.length = args.limit;
  if (args.backward) fetched.reverse();
  // Cursors are read from the rows' text before their ts become Dates, and only where there is
  // a page to point at: forward, the next one past the last row when there are more, and the
  // previous one before the first row when this page was reached from a cursor; backward, the
  // other way round.
  const at = (row: RawRow | undefined) =>
    row ? { sort: args.sort, ts: pgTimestampToCursorTs(row.ts), id: row.id } : null;
  const last = args.backward ? at(fetched.at(-1)) : more ? at(fetched.at(-1)) : null;
  const first = args.backward ? (more ? at(fetched[0]) : null) : args.after ? at(fetched[0]) : null;
  readTimestamps(fetched, args.detail);
  return { rows: fetched as unknown as EventDetailRow[], last, first, more };
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(limit)));
}

function withRows(detail: Detail, rows: EventDetailRow[]) {
  // Summary rows were selected with the summary columns only; the cast just names that.
  return detail === "full"
    ? { detail: "full" as const, rows }
    : { detail: "summary" as const, rows: rows as EventSummaryRow[] };
}

/**
 * One page of the explorer: the query filtered, sorted and paginated on the server (keyset on
 * (ts, id), no OFFSET), inside the tenants in view, with the columns the caller's role may see.
 */
export async function listEvents(
  db: ReadExecutor,
  authority: Authority,
  input: ListEventsInput = {},
): Promise<ListEventsResult> {
  const prepared = prepareEventsQuery(authority, input.q, input.now);
  const detail = detailFor(authority);
  const none = { ...withRows(detail, []), nextCursor: null, prevCursor: null };
  if (!prepared.ok) return { ...none, error: prepared.error };
  const sort = parseSort(input.sort);
  // `before` (a previous page) wins over `cursor` when a hand-made URL carries both.
  const backward = Boolean(input.before);
  const raw = input.before || input.cursor;
  const after = raw ? decodeCursor(raw, sort) : null;
  if (raw && !after) return { ...none, error: CURSOR_ERROR };
  let page: Awaited<ReturnType<typeof fetchPage>>;
  try {
    page = await ReadDb.run(db, (on) =>
      fetchPage(on, {
        where: prepared.where,
        detail,
        sort,
        after,
        limit: pageSize(input.limit),
        budget: input.budget ?? PAGE_BUDGET,
        backward,
        perTenant: prepared.perTenant,
      }),
    );
  } catch (err) {
    if (!(err instanceof QueryTooExpensiveError)) throw err;
    return { ...none, error: err.toQueryError(input.q ?? "") };
  }
  return {
    ...withRows(detail, page.rows),
    nextCursor: page.last ? encodeCursor(page.last) : null,
    prevCursor: page.first ? encodeCursor(page.first) : null,
    ...(prepared.notice ? { error: prepared.notice } : {}),
  };
}

/**
 * How many events match, counted up to `max` (a count over millions of rows is not worth its
 * cost: the UI shows "10,000+"). Same scope and role rules as listEvents.
 */
export async function countEvents(
  db: ReadExecutor,
  authority: Authority,
  input: { q?: string | null; now?: Date; max?: number; budget?: QueryBudget } = {},
): Promise<{ count: number; capped: boolean; error?: QueryError }> {
  const prepared = prepareEventsQuery(authority, input.q, input.now);
  if (!prepared.ok) return { count: 0, capped: false, error: prepared.error };
  const max = Math.max(1, Math.trunc(input.max ?? 10_000));
  let n: number;
  try {
    const [row] = await ReadDb.run(db, (on) =>
      boundedRows<{ n: number | string }>(
        on,
        sql`select count(*) as "n" from (select 1 from "events" where ${prepared.where} limit ${max + 1}) "matched"`,
        input.budget ?? PAGE_BUDGET,
      ),
    );
    n = Number(row?.n ?? 0);
  } catch (err) {
    if (!(err instanceof QueryTooExpensiveError)) throw err;
    return { count: 0, capped: false, error: err.toQueryError(input.q ?? "") };
  }
  return {
    count: Math.min(n, max),
    capped: n > max,
    ...(prepared.notice ? { error: prepared.notice } : {}),
  };
}

/**
 * Every matching event, for a CSV/JSONL export: keyset batches of `batchSize`, so the result is
 * never held in memory. Rows are EventDetailRow for investigators and admins, EventSummaryRow
 * for viewers (see EVENT_*_COLUMNS). Throws EventsQueryError for a query that does not parse,
 * and ForbiddenError without a role, both before the first row; QueryTooExpensiveError when a
 * batch goes past its budget (EXPORT_BUDGET).
 */
export async function* exportEvents(
  db: ReadExecutor,
  authority: Authority,
  input: {
    q?: string | null;
    sort?: EventSort;
    now?: Date;
    batchSize?: number;
    budget?: QueryBudget;
  } = {},
): AsyncGenerator<EventRow, void, undefined> {
  const prepared = prepareEventsQuery(authority, input.q, input.now);
  if (!prepared.ok) throw new EventsQueryError(prepared.error);
  const sort = parseSort(input.sort);
  const limit = Math.max(1, Math.trunc(input.batchSize ?? EXPORT_BATCH_SIZE));
  let after: Cursor | null = null;
  for (;;) {
    // Each keyset batch on its own: one the replica fails is read again on the primary.
    const page = await ReadDb.run(db, (on) =>
      fetchPage(on, {
        where: prepared.where,
        detail: prepared.detail,
        sort,
        after,
        limit,
        budget: input.budget ?? EXPORT_BUDGET,
        perTenant: prepared.perTenant,
      }),
    );
    yield* page.rows;
    if (!page.more || !page.last) return;
    after = page.last;
  }
}

/**
 * One event by id, as the explorer would show it: inside the tenants in view (a `tenant` outside
 * them finds nothing), with the columns the caller's role may see. Null for an unknown id and
 * for another tenant's, alike, so a permalink says nothing about what it cannot show.
 */
export async function getEvent(
  db: Db,
  authority: Authority,
  input: { id: string; tenant?: string | null },
): Promise<EventRow | null> {
  const prepared = prepareEventsQuery(authority, "", undefined);
  if (!prepared.ok) return null;
  if (typeof input.id !== "string" || input.id.length === 0 || input.id.length > 256) return null;
  const tenant = input.tenant ? sql` and "events"."tenant" = ${input.tenant}` : sql``;
  const rows = await boundedRows<RawRow>(
    db,
    sql`${SELECT[prepared.detail]} where ${prepared.where} and "events"."id" = ${input.id}${tenant} order by "events"."tenant" limit 1`,
    PAGE_BUDGET,
  );
  readTimestamps(rows, prepared.detail);
  return (rows[0] as unknown as EventRow | undefined) ?? null;
}

/** Bucket widths a histogram may use, smallest first. */
export const HISTOGRAM_STEPS_MS = [
  60_000,
  5 * 60_000,
  15 * 60_000,
  30 * 60_000,
  3_600_000,
  3 * 3_600_000,
  6 * 3_600_000,
  12 * 3_600_000,
  86_400_000,
  7 * 86_400_000,
  30 * 86_400_000,
] as const;

/** The smallest step that cuts [from, to) into at most `max` buckets. */
export function histogramStep(from: Date, to: Date, max = 60): number {
  const span = Math.max(1, to.getTime() - from.getTime());
  return HISTOGRAM_STEPS_MS.find((s) => span / s <= max) ?? (HISTOGRAM_STEPS_MS.at(-1) as number);
}

export interface HistogramBucket {
  /** Inclusive start and exclusive end, ISO 8601 UTC. */
  start: string;
  end: string;
  allowed: number;
  denied: number;
  error: number;
}

/**
 * Matching events per time bucket and outcome: one grouped statement under the page's budget
 * (scope and role rules as listEvents). `from`/`to` bound the buckets; without `from` (all time)
 * the matched events' first and last instants do, read first on the ts index. Empty buckets are
 * returned too, so a chart's gaps are real.
 */
export async function histogramEvents(
  from_: ReadExecutor,
  authority: Authority,
  input: {
    q?: string | null;
    now?: Date;
    from?: Date | null;
    to?: Date | null;
    maxBuckets?: number;
    budget?: QueryBudget;
  } = {},
): Promise<{ stepMs: number; buckets: HistogramBucket[]; error?: QueryError }> {
  return ReadDb.run(from_, (db) => histogramOn(db, authority, input));
}

async function histogramOn(
  db: Db,
  authority: Authority,
  input: Parameters<typeof histogramEvents>[2] & object,
): Promise<{ stepMs: number; buckets: HistogramBucket[]; error?: QueryError }> {
  const prepared = prepareEventsQuery(authority, input.q, input.now);
  if (!prepared.ok) return { stepMs: 0, buckets: [], error: prepared.error };
  const budget = input.budget ?? PAGE_BUDGET;
  const now = input.now ?? new Date();
  try {
    let from = input.from ?? null;
    let to = input.to ?? now;
    if (!from) {
      const [span] = await boundedRows<{ lo: string | null; hi: string | null }>(
        db,
        sql`select min("events"."ts") as "lo", max("events"."ts") as "hi" from "events" where ${prepared.where}`,
        budget,
      );
      if (!span?.lo || !span.hi) return { stepMs: 0, buckets: [] };
      from = pgTimestampToDate(span.lo);
      // The where clause already holds any before:, so the last match is inside it.
      to = new Date(pgTimestampToDate(span.hi).getTime() + 1);
    }
    if (to.getTime() <= from.getTime()) return { stepMs: 0, buckets: [] };
    const step = histogramStep(from, to, input.maxBuckets ?? 60);
    // Buckets are aligned on multiples of the step since the epoch (whole minutes, hours, UTC days).
    const origin = Math.floor(from.getTime() / step) * step;
    const rows = await boundedRows<{ b: number | string; outcome: string; n: number | string }>(
      db,
      sql`select floor((extract(epoch from "events"."ts") * 1000 - ${origin}) / ${step})::int as "b", "events"."outcome" as "outcome", count(*) as "n"
        from "events" where ${prepared.where} and ${eventsSinceSql(from)} and "events"."ts" < ${to.toISOString()}::timestamptz
        group by 1, 2`,
      budget,
    );
    const count = Math.ceil((to.getTime() - origin) / step);
    const buckets: HistogramBucket[] = Array.from({ length: count }, (_, i) => ({
      start: new Date(origin + i * step).toISOString(),
      end: new Date(origin + (i + 1) * step).toISOString(),
      allowed: 0,
      denied: 0,
      error: 0,
    }));
    for (const r of rows) {
      const bucket = buckets[Number(r.b)];
      if (bucket && (r.outcome === "allowed" || r.outcome === "denied" || r.outcome === "error"))
        bucket[r.outcome] += Number(r.n);
    }
    return { stepMs: step, buckets, ...(prepared.notice ? { error: prepared.notice } : {}) };
  } catch (err) {
    if (!(err instanceof QueryTooExpensiveError)) throw err;
    return { stepMs: 0, buckets: [], error: err.toQueryError(input.q ?? "") };
  }
}
