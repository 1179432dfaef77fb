import "server-only";
import { type SQL, sql } from "drizzle-orm";
import { type Db, withStatementTimeout } from "@/db/client";
import { pgCode } from "@/lib/ingest/store";
import type { QueryError } from "@/lib/query/types";

/**
 * What one explorer, export or live-tail statement may cost. Two guards, because the backends
 * differ: PostgreSQL cancels a statement past `statement_timeout` (SQLSTATE 57014); PGlite runs
 * in this process's thread and has no timer to cancel with (measured: a 50 s statement under a
 * 200 ms timeout ran to the end), so there the planner's estimate is checked before running
 * (EXPLAIN). PostgreSQL skips the EXPLAIN: its timeout is the real bound, and a second planning
 * and round trip on every page would cost the explorer's first page more than its query. The
 * operator bounds of the query language come first, on both.
 */
export interface QueryBudget {
  /** statement_timeout for each statement, in milliseconds (PostgreSQL). */
  timeoutMs: number;
  /** PGlite only: the planner's total cost above which a statement is refused unrun. */
  maxCost: number;
}

// Calibrated on a 60k-event tenant (tests/support/heavy-fixtures.ts): a first page from an
// index costs the planner 10–100; a scan of the whole tenant about 3,900, which took ≈ 65 ms
// on PostgreSQL and ≈ 650 ms on PGlite. 50,000 is then about a 770k-row scan: ≈ 1 s on
// PostgreSQL (where the timeout is the real bound) and ≈ 8 s on PGlite (where nothing else is).
export const PAGE_BUDGET: QueryBudget = { timeoutMs: 5_000, maxCost: 50_000 };
/** One keyset batch (1,000 rows) of an export. */
export const EXPORT_BUDGET: QueryBudget = { timeoutMs: 10_000, maxCost: 100_000 };
/** One poll of the live tail, which repeats every second. */
export const TAIL_BUDGET: QueryBudget = { timeoutMs: 2_000, maxCost: 50_000 };

export const TOO_EXPENSIVE_MESSAGE = "This query is too expensive to run: narrow it.";
const TOO_EXPENSIVE_HINT =
  "Add a shorter time range (after:), a principal:, type: or tool:, or fewer under:, cap.right: and free-text terms.";

/** Thrown when a statement is cancelled by its timeout or refused on its estimate. */
export class QueryTooExpensiveError extends Error {
  override name = "QueryTooExpensiveError";
  constructor(readonly why: "timeout" | "estimate") {
    super(TOO_EXPENSIVE_MESSAGE);
  }
  /** The message for the search box and the API (code too_expensive), pointing at the whole query. */
  toQueryError(q: string): QueryError {
    return {
      message: TOO_EXPENSIVE_MESSAGE,
      hint: TOO_EXPENSIVE_HINT,
      position: 0,
      length: q.length,
      code: "too_expensive",
    };
  }
}

const QUERY_CANCELED = "57014";

/** PGlite (in this thread, cannot cancel) rather than a PostgreSQL pool. */
function inProcess(db: Db): boolean {
  const client = (db as unknown as { $client?: object }).$client;
  return typeof client === "object" && client !== null && "dumpDataDir" in client;
}

interface PlanRow {
  "QUERY PLAN": [{ Plan: { "Total Cost": number } }] | string;
}

/**
 * Runs one read within `budget`. On PostgreSQL, through a pool whose connections carry the
 * timeout (db/client.ts withStatementTimeout); otherwise in its own transaction, so
 * `set_config(…, true)` (SET LOCAL) ends with it and never leaks to the next user of the
 * connection, and on PGlite after the planner's estimate.
 */
export async function boundedRows<T>(db: Db, query: SQL, budget: QueryBudget): Promise<T[]> {
  try {
    // PostgreSQL: a pool whose connections already carry the timeout, one round trip.
    const timed = withStatementTimeout(db, budget.timeoutMs);
    if (timed) return ((await timed.execute(query)) as unknown as { rows: T[] }).rows;
    return await db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('statement_timeout', ${String(budget.timeoutMs)}, true)`);
      if (Number.isFinite(budget.maxCost) && inProcess(db)) {
        const plan = (await tx.execute(sql`explain (format json) ${query}`)) as unknown as {
          rows: PlanRow[];
        };
        const raw = plan.rows[0]?.["QUERY PLAN"];
        const parsed = typeof raw === "string" ? (JSON.parse(raw) as Exclude<typeof raw, string>) : raw;
        const cost = parsed?.[0]?.Plan["Total Cost"] ?? 0;
        if (cost > budget.maxCost) throw new QueryTooExpensiveError("estimate");
      }
      return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
    });
  } catch (err) {
    if (pgCode(err) === QUERY_CANCELED) throw new QueryTooExpensiveError("timeout");
    throw err;
  }
}
