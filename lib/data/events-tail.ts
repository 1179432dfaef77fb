import "server-only";
import { inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { chainHeads } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { loadSessionAuthority } from "@/lib/data/console-sessions";
import type { QueryError } from "@/lib/query/types";
import { type SlotLimiter, streamSlots, tooManyStreams } from "@/lib/server/stream-slots";
import { type EventRow, prepareEventsQuery, type RawRow, readTimestamps, TAIL_SELECT } from "./events-query";
import { boundedRows, type QueryBudget, QueryTooExpensiveError, TAIL_BUDGET } from "./query-budget";

// The live tail follows each tenant's hash chain (seq, assigned in commit order under the
// chain-head lock), not timestamps: ts is the sender's clock, and an event dated ahead of the
// others must not hide the ones that follow it (issue 11, item 4).

/** How far the tail has read: the last seq shown per tenant in view. */
export type TailPositions = Record<string, number>;

const TAIL_PAGE = 100;

/** The chain heads of the tenants in view: where a new tail starts. */
async function chainPositions(db: Db, tenants: readonly string[]): Promise<TailPositions> {
  if (tenants.length === 0) return {};
  const rows = await db
    .select({ tenant: chainHeads.tenant, seq: chainHeads.seq })
    .from(chainHeads)
    .where(inArray(chainHeads.tenant, [...tenants]));
  return Object.fromEntries(tenants.map((t) => [t, rows.find((r) => r.tenant === t)?.seq ?? 0]));
}

/**
 * Events matching `q` appended after `positions`, in chain order, within the caller's role and
 * scope. The heads are read first and the window is (position, head]: every seq up to a head
 * read under READ COMMITTED is committed (the head moves in the rows' own transaction), so no
 * event is skipped. A full page advances only as far as its rows go; the rest comes next poll.
 */
export async function tailEvents(
  db: Db,
  authority: Authority,
  input: { q: string; positions: TailPositions; now?: Date; budget?: QueryBudget },
): Promise<{ rows: EventRow[]; positions: TailPositions; error?: QueryError }> {
  const prepared = prepareEventsQuery(authority, input.q, input.now);
  if (!prepared.ok) return { rows: [], positions: input.positions, error: prepared.error };
  const tenants = tenantsInView(authority);
  const heads = await chainPositions(db, tenants);
  const open = tenants.filter((t) => (heads[t] ?? 0) > (input.positions[t] ?? 0));
  if (open.length === 0) return { rows: [], positions: { ...input.positions, ...heads } };
  const windows = sql.join(
    open.map(
      (t) =>
        sql`("events"."tenant" = ${t} and "events"."seq" > ${input.positions[t] ?? 0} and "events"."seq" <= ${heads[t] ?? 0})`,
    ),
    sql` or `,
  );
  const where: SQL = sql`(${prepared.where} and (${windows}))`;
  let raw: (RawRow & { chainSeq: number | string })[];
  try {
    raw = await boundedRows(
      db,
      sql`${TAIL_SELECT[prepared.detail]} where ${where} order by "events"."tenant", "events"."seq" limit ${TAIL_PAGE}`,
      input.budget ?? TAIL_BUDGET,
    );
  } catch (err) {
    if (!(err instanceof QueryTooExpensiveError)) throw err;
    return { rows: [], positions: input.positions, error: err.toQueryError(input.q) };
  }
  const positions = { ...input.positions };
  const last = raw.at(-1);
  if (raw.length < TAIL_PAGE || !last) for (const t of open) positions[t] = heads[t] ?? 0;
  else {
    // Ordered by (tenant, seq): a tenant before the last row's was read to its head; tenants
    // after it were not reached and keep their positions.
    const lastTenant = String(last.tenant);
    for (const r of raw)
      if (r.tenant !== lastTenant) positions[String(r.tenant)] = heads[String(r.tenant)] ?? 0;
    positions[lastTenant] = Number(last.chainSeq);
  }
  const rows = raw.map(({ chainSeq: _seq, ...row }) => row as RawRow);
  readTimestamps(rows, prepared.detail);
  return { rows: rows as unknown as EventRow[], positions };
}

const sameTenants = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((t) => b.includes(t));

/** How many of the latest matching events a new tail shows first, per tenant (like tail -n). */
export const TAIL_BACKLOG = 20;

/**
 * The latest TAIL_BACKLOG events matching `q` of each tenant in view, up to `positions` (the
 * heads the tail starts from), oldest first: by chain order, so a row dated in the future does
 * not push the rest out. One indexed query per tenant ((tenant, seq) backwards).
 */
export async function tailBacklog(
  db: Db,
  authority: Authority,
  input: { q: string; positions: TailPositions; budget?: QueryBudget },
): Promise<{ rows: EventRow[]; error?: QueryError }> {
  const prepared = prepareEventsQuery(authority, input.q, undefined);
  if (!prepared.ok) return { rows: [], error: prepared.error };
  const out: RawRow[] = [];
  for (const [tenant, head] of Object.entries(input.positions)) {
    if (head <= 0) continue;
    try {
      const raw = await boundedRows<RawRow & { chainSeq: unknown }>(
        db,
        sql`${TAIL_SELECT[prepared.detail]} where (${prepared.where} and "events"."tenant" = ${tenant} and "events"."seq" <= ${head}) order by "events"."seq" desc limit ${TAIL_BACKLOG}`,
        input.budget ?? TAIL_BUDGET,
      );
      out.push(...raw.reverse().map(({ chainSeq: _seq, ...row }) => row as RawRow));
    } catch (err) {
      if (!(err instanceof QueryTooExpensiveError)) throw err;
      return { rows: [], error: err.toQueryError(input.q) };
    }
  }
  readTimestamps(out, prepared.detail);
  return { rows: out as unknown as EventRow[] };
}

export interface LiveTailOptions {
  pollMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  budget?: QueryBudget;
  /** Live tails open at once per user (streamSlots().tails); tests pass their own. */
  slots?: SlotLimiter;
}

/**
 * Live tail: the latest events matching `q` (TAIL_BACKLOG per tenant), then each new one as it
 * is committed, as server-sent events, within the viewer's role and scope. A user with
 * STREAM_LIMITS.tails tails open gets a 429 instead; the slot is freed however the stream ends
 * (client gone, session ended, time up, error).
 */
export function liveTail(db: Db, authority: Authority, q: string, opts: LiveTailOptions = {}): Response {
  const slots = opts.slots ?? streamSlots().tails;
  const onClose = slots.acquire(`user:${authority.userId}`);
  if (!onClose) return tooManyStreams("live tails", slots.max, "user");
  const pollMs = opts.pollMs ?? 1000;
  const maxMs = opts.maxMs ?? 10 * 60_000;
  const encoder = new TextEncoder();
  let closed = false;
  let released = false;
  const release = () => {
    closed = true;
    if (!released) {
      released = true;
      onClose();
    }
  };
  opts.signal?.addEventListener("abort", release);
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      // The client may go at any moment: after that, sending is a no-op, not an error.
      const send = (event: string, data: unknown) => {
        if (!closed) controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      };
      const sendRows = (rows: EventRow[]) => {
        for (const row of rows)
          send("event", {
            id: row.id,
            ts: row.ts,
            type: row.type,
            principal: row.principal,
            tool: row.tool,
            outcome: row.outcome,
            late: row.late,
          });
      };
      try {
        const first = prepareEventsQuery(authority, q, undefined);
        if (!first.ok) {
          send("query-error", first.error);
          return;
        }
        if (!closed) controller.enqueue(encoder.encode("retry: 2000\n\n"));
        const started = Date.now();
        let positions = await chainPositions(db, tenantsInView(authority));
        const backlog = await tailBacklog(db, authority, { q, positions, budget: opts.budget });
        if (backlog.error) {
          send("query-error", backlog.error);
          return;
        }
        sendRows(backlog.rows);
        while (!closed && Date.now() - started < maxMs) {
          // Signed out, disabled or revoked since the stream opened: stop at the next tick.
          const still = await loadSessionAuthority(db, {
            sessionId: authority.sessionId,
            activeTenant: authority.activeTenant,
          }).catch(() => null);
          if (!still) {
            send("session-ended", { message: "Your session has ended. Sign in again." });
            return;
          }
          // The role or tenants changed (by an admin, perhaps on another console instance): the
          // tail must not go on showing what the authority it opened with could see.
          if (still.role !== authority.role || !sameTenants(tenantsInView(still), tenantsInView(authority))) {
            send("session-ended", { message: "Your access has changed. Reload the page to tail again." });
            return;
          }
          let res: Awaited<ReturnType<typeof tailEvents>>;
          try {
            res = await tailEvents(db, authority, { q, positions, budget: opts.budget });
          } catch (err) {
            // A passing database failure: try again next tick from the same positions.
            console.error("[live tail]", err instanceof Error ? err.message : err);
            await new Promise((r) => setTimeout(r, pollMs));
            continue;
          }
          if (res.error) {
            send("query-error", res.error);
            return;
          }
          positions = res.positions;
          sendRows(res.rows);
          if (res.rows.length < TAIL_PAGE) await new Promise((r) => setTimeout(r, pollMs));
        }
      } catch (err) {
        console.error("[live tail]", err instanceof Error ? err.message : err);
      } finally {
        const wasClosed = closed;
        release();
        if (!wasClosed) controller.close();
      }
    },
    cancel() {
      release();
    },
  });
  return new Response(stream, {
    // x-accel-buffering: nginx passes each event on at once instead of buffering the response.
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" },
  });
}
