import "server-only";
import type { Db } from "@/db/client";
import type { ReadExecutor } from "@/db/replica";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import type { EventSort } from "@/lib/query/cursor";
import { type SlotLimiter, streamSlots } from "@/lib/server/stream-slots";
import {
  EVENT_DETAIL_COLUMNS,
  EVENT_SUMMARY_COLUMNS,
  type EventRow,
  exportEvents,
  parseSort,
  prepareEventsQuery,
} from "./events-query";
import { type QueryBudget, QueryTooExpensiveError } from "./query-budget";

export type ExportFormat = "csv" | "jsonl";

// Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s =
    value instanceof Date
      ? value.toISOString()
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export type ExportStart =
  | { ok: true; stream: ReadableStream<Uint8Array> }
  | { ok: false; status: 400 | 403 | 422 | 429; error: string; position?: number };

export interface ExportOptions {
  /** Concurrent exports per user (streamSlots().exports); tests pass their own. */
  slots?: SlotLimiter;
  budget?: QueryBudget;
  /** Where the rows are read (a replica's handle, db/replica.ts); the audit record is always written to `db`. */
  read?: ReadExecutor;
}

/**
 * Streams the query's events as CSV or JSON Lines, one keyset batch at a time (never the whole
 * result in memory), within the caller's role and tenants. Everything that can refuse the
 * export happens before the first byte and before the audit record: a query that does not
 * parse (400), a key the role may not filter on (403), too many exports open (429), a first
 * batch past its budget (422). The export is audited next: if that record cannot be written,
 * nothing is exported.
 */
export async function startExport(
  db: Db,
  authority: Authority,
  args: { q: string; sort: EventSort; format: ExportFormat } & ExportOptions,
): Promise<ExportStart> {
  assertCan(authority, "events.read");
  const prepared = prepareEventsQuery(authority, args.q, undefined);
  if (!prepared.ok) {
    const { message, position } = prepared.error;
    return { ok: false, status: prepared.error.code === "forbidden" ? 403 : 400, error: message, position };
  }
  const release = (args.slots ?? streamSlots().exports).acquire(`user:${authority.userId}`);
  if (!release)
    return {
      ok: false,
      status: 429,
      error: `Too many exports running at once: at most ${(args.slots ?? streamSlots().exports).max} per user. Wait for one to finish.`,
    };
  let rows: AsyncGenerator<EventRow, void, undefined> | undefined;
  try {
    rows = exportEvents(args.read ?? db, authority, { q: args.q, sort: args.sort, budget: args.budget });
    const first = await rows.next();
    await db.transaction((tx) =>
      appendEvents(
        tx,
        consoleEvents({
          actor: authority,
          type: "console.events.exported",
          tenants: tenantsInView(authority),
          meta: { query: args.q, format: args.format, sort: args.sort },
        }),
      ),
    );
    return { ok: true, stream: exportStream({ ...args, detail: prepared.detail, rows, first, release }) };
  } catch (err) {
    release();
    await rows?.return(undefined).catch(() => {});
    if (err instanceof QueryTooExpensiveError)
      return { ok: false, status: 422, error: `${err.message} ${err.toQueryError(args.q).hint}` };
    throw err;
  }
}

function exportStream(args: {
  format: ExportFormat;
  detail: "summary" | "full";
  rows: AsyncGenerator<EventRow, void, undefined>;
  first: IteratorResult<EventRow, void>;
  release: () => void;
}): ReadableStream<Uint8Array> {
  const columns: string[] = args.detail === "full" ? [...EVENT_DETAIL_COLUMNS] : [...EVENT_SUMMARY_COLUMNS];
  const encoder = new TextEncoder();
  let pending: IteratorResult<EventRow, void> | null = args.first;
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (args.format === "csv" && !headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`${columns.map(csvCell).join(",")}\r\n`));
        return;
      }
      try {
        const next = pending ?? (await args.rows.next());
        pending = null;
        if (next.done) {
          args.release();
          controller.close();
          return;
        }
        const row = next.value as unknown as Record<string, unknown>;
        const line =
          args.format === "csv"
            ? `${columns.map((c) => csvCell(row[c])).join(",")}\r\n`
            : `${JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])))}\n`;
        controller.enqueue(encoder.encode(line));
      } catch (err) {
        args.release();
        console.error("[export] failed:", err instanceof Error ? err.message : err);
        controller.error(new Error("export failed"));
      }
    },
    async cancel() {
      args.release();
      await args.rows.return(undefined);
    },
  });
}

/** GET /api/events/export, framework-free: the caller has passed the route's guard. */
export async function exportResponse(
  db: Db,
  authority: Authority,
  params: URLSearchParams,
  opts: ExportOptions = {},
): Promise<Response> {
  const format = params.get("format") ?? "csv";
  if (format !== "csv" && format !== "jsonl")
    return Response.json({ error: "format must be csv or jsonl", field: "format" }, { status: 400 });
  const res = await startExport(db, authority, {
    q: params.get("q") ?? "",
    sort: parseSort(params.get("sort") ?? "ts_desc"),
    format,
    ...opts,
  });
  if (!res.ok) {
    const body = { error: res.error, ...(res.status === 429 ? {} : { field: "q", position: res.position }) };
    return Response.json(body, {
      status: res.status,
      headers: { "cache-control": "no-store", ...(res.status === 429 ? { "retry-after": "5" } : {}) },
    });
  }
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
  return new Response(res.stream, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="events-${stamp}.${format}"`,
      "cache-control": "no-store",
    },
  });
}
