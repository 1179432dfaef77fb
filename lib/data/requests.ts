import "server-only";
import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { ReadDb, type ReadExecutor } from "@/db/replica";
import { capabilities, events } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan, can } from "@/lib/auth/permissions";
import { decodeCursor, encodeCursor, ilikePattern, type KeysetPage } from "./keyset";

// The Requests index and a request's timeline. There is no requests table: a request is every
// capability minted or used for it and every event naming it, in one tenant. Its time is its
// first activity (minting or first event), never empty: a capability without issued_at counts
// from when the console first saw it.

export const REQUESTS_PAGE_SIZE = 25;

export const listRequestsSchema = z.object({
  q: z.string().trim().max(200, "q: at most 200 characters").optional(),
  session: z.string().trim().max(200, "session: at most 200 characters").optional(),
  tenant: z.string().trim().max(100).optional(),
  cursor: z.string().max(600).optional(),
  dir: z.enum(["next", "prev"]).optional(),
  limit: z.number().int().min(1).max(100).optional(),
});
export type ListRequestsInput = z.input<typeof listRequestsSchema>;

export interface RequestRow {
  tenant: string;
  request: string;
  principal: string | null;
  agent: string | null;
  session: string | null;
  startedAt: Date;
  lastAt: Date;
  calls: number;
  denied: number;
  capabilities: number;
}

interface RawRequestRow {
  tenant: string;
  request: string;
  principal: string | null;
  agent: string | null;
  session: string | null;
  started: string;
  last: string;
  calls: number;
  denied: number;
  caps: number;
}

const rowsOf = async <T>(db: Db, query: SQL): Promise<T[]> =>
  ((await db.execute(query)) as unknown as { rows: T[] }).rows;

/** Tenants a listing reads: those in view, narrowed to one when asked (one outside view: none). */
function scopeOf(authority: Authority, tenant?: string): string[] {
  const view = tenantsInView(authority);
  return tenant ? view.filter((t) => t === tenant) : view;
}

/**
 * Requests in view, newest first by first activity, keyset-paged on (started, tenant, request)
 * so ties never repeat or skip a row. `q` matches the request id, principal or agent (substring,
 * case-insensitive); `session` keeps the requests of one agent session.
 */
export async function listRequests(
  db: ReadExecutor,
  authority: Authority,
  input: ListRequestsInput = {},
): Promise<KeysetPage<RequestRow>> {
  assertCan(authority, "console.read");
  const opts = listRequestsSchema.parse(input);
  const scope = scopeOf(authority, opts.tenant);
  const limit = opts.limit ?? REQUESTS_PAGE_SIZE;
  if (scope.length === 0) return { rows: [], next: null, prev: null };
  const tenants = sql.join(
    scope.map((t) => sql`${t}`),
    sql`, `,
  );
  const sessionCap = opts.session ? sql` and c.session = ${opts.session}` : sql``;
  const sessionEv = opts.session ? sql` and e.session = ${opts.session}` : sql``;
  const cursor = decodeCursor(opts.cursor);
  const back = opts.dir === "prev" && cursor !== null;
  const pattern = opts.q ? ilikePattern(opts.q) : null;
  const having: SQL[] = [];
  if (pattern)
    having.push(
      sql`(a.request ilike ${pattern} or bool_or(a.principal ilike ${pattern}) or bool_or(a.agent ilike ${pattern}))`,
    );
  if (cursor)
    having.push(
      back
        ? sql`(min(a.at), a.tenant, a.request) > (${cursor[0]}::timestamptz, ${cursor[1]}, ${cursor[2]})`
        : sql`(min(a.at), a.tenant, a.request) < (${cursor[0]}::timestamptz, ${cursor[1]}, ${cursor[2]})`,
    );
  const order = back ? sql`asc` : sql`desc`;
  const query = sql`
    with a as (
      select c.tenant, c.request, coalesce(c.issued_at, c.first_seen_at) as at, c.principal, c.agent,
        c.session, (c.parent_id is null and c.kind = 'minted') as root, 0 as calls, 0 as denied, 1 as caps
      from ${capabilities} c
      where c.tenant in (${tenants}) and c.request is not null${sessionCap}
      union all
      select e.tenant, e.request, e.ts, e.principal, e.agent, e.session, false,
        (e.type = 'tool.call')::int, (e.type = 'tool.call' and e.outcome = 'denied')::int, 0
      from ${events} e
      where e.tenant in (${tenants}) and e.request is not null${sessionEv}
    )
    select a.tenant, a.request,
      (array_agg(a.principal order by a.root desc, a.at) filter (where a.principal is not null))[1] as principal,
      (array_agg(a.agent order by a.root desc, a.at) filter (where a.agent is not null))[1] as agent,
      (array_agg(a.session order by a.root desc, a.at) filter (where a.session is not null))[1] as session,
      to_char(min(a.at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as started,
      to_char(max(a.at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as last,
      sum(a.calls)::int as calls, sum(a.denied)::int as denied, sum(a.caps)::int as caps
    from a
    group by a.tenant, a.request
    ${having.length ? sql`having ${sql.join(having, sql` and `)}` : sql``}
    order by min(a.at) ${order}, a.tenant ${order}, a.request ${order}
    limit ${limit + 1}`;
  const raw = await ReadDb.run(db, (on) => rowsOf<RawRequestRow>(on, query));
  const more = raw.length > limit;
  const page = raw.slice(0, limit);
  if (back) page.reverse();
  const rows: RequestRow[] = page.map((r) => ({
    tenant: r.tenant,
    request: r.request,
    principal: r.principal,
    agent: r.agent,
    session: r.session,
    startedAt: new Date(r.started),
    lastAt: new Date(r.last),
    calls: Number(r.calls),
    denied: Number(r.denied),
    capabilities: Number(r.caps),
  }));
  const first = page[0];
  const last = page[page.length - 1];
  const key = (r: RawRequestRow) => encodeCursor([r.started, r.tenant, r.request]);
  return {
    rows,
    // Going forward, a next page exists when we fetched one row too many; going back, there is
    // always one (we came from it). The mirror holds for prev.
    next: last && (back || more) ? key(last) : null,
    prev: first && (back ? more : cursor !== null) ? key(first) : null,
  };
}

export interface RequestCall {
  id: string;
  ts: Date;
  capabilityId: string | null;
  agent: string | null;
  tool: string | null;
  outcome: "allowed" | "denied" | "error";
  reason: string | null;
  latencyMs: number | null;
  tier: "attested" | "observed";
}

export const CALLS_LIMIT = 5_000;

/**
 * The tool calls made in one request, oldest first, in one tenant of those in view (the caller
 * resolves which; a tenant outside view reads nothing). Reasons only for investigators and up.
 */
export async function listRequestCalls(
  db: ReadExecutor,
  authority: Authority,
  target: { request: string; tenant: string },
): Promise<{ calls: RequestCall[]; truncated: boolean }> {
  assertCan(authority, "console.read");
  const scope = scopeOf(authority, target.tenant);
  if (scope.length === 0) return { calls: [], truncated: false };
  const rows = await ReadDb.run(db, (on) =>
    on
      .select({
        id: events.id,
        ts: events.ts,
        capabilityId: events.capabilityId,
        agent: events.agent,
        tool: events.tool,
        outcome: events.outcome,
        reason: events.reason,
        latencyMs: events.latencyMs,
        tier: events.tier,
      })
      .from(events)
      .where(
        and(inArray(events.tenant, scope), eq(events.request, target.request), eq(events.type, "tool.call")),
      )
      .orderBy(asc(events.ts), asc(events.id))
      .limit(CALLS_LIMIT + 1),
  );
  const full = can(authority, "events.read.full");
  return {
    calls: rows.slice(0, CALLS_LIMIT).map((r) => (full ? r : { ...r, reason: null })),
    truncated: rows.length > CALLS_LIMIT,
  };
}

/** When each capability of a request was minted (the timeline's origin when no call came first). */
export async function requestMintTimes(
  db: ReadExecutor,
  authority: Authority,
  target: { request: string; tenant: string },
): Promise<Map<string, Date>> {
  assertCan(authority, "console.read");
  const scope = scopeOf(authority, target.tenant);
  if (scope.length === 0) return new Map();
  const rows = await ReadDb.run(db, (on) =>
    on
      .select({
        id: capabilities.id,
        at: sql<string>`to_char(coalesce(${capabilities.issuedAt}, ${capabilities.firstSeenAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      })
      .from(capabilities)
      .where(and(inArray(capabilities.tenant, scope), eq(capabilities.request, target.request)))
      .limit(5_000),
  );
  return new Map(rows.map((r) => [r.id, new Date(r.at)]));
}
