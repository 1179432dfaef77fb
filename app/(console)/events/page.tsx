import type { Metadata } from "next";
import Link from "next/link";
import { EvidenceExportLink } from "@/app/(console)/evidence/_components/export-link";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { listEvents, parseSort } from "@/lib/data/events-query";
import { findGatewayRequestsByDeniedEvent } from "@/lib/data/gateway-requests";
import { listSavedQueries } from "@/lib/data/saved-queries";
import { getDb } from "@/lib/server/db";
import { EventsTable } from "./_components/events-table";
import { LiveTail } from "./_components/live-tail";
import { SavedQueries } from "./_components/saved-queries";
import { SearchBox } from "./_components/search-box";
import { effectiveQuery, explorerHref, RANGES, type Range } from "./url-state";

export const metadata: Metadata = { title: "Events" };

type Params = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

export default async function EventsPage({ searchParams }: { searchParams: Promise<Params> }) {
  const authority = await requirePermission("events.read");
  const sp = await searchParams;
  const q = one(sp.q);
  const range = (RANGES.find((r) => r.value === one(sp.range))?.value ?? "7d") as Range;
  const sort = parseSort(one(sp.sort) || "ts_desc");
  const cursor = one(sp.cursor) || null;
  const cols = one(sp.cols);
  const db = await getDb();
  const [res, saved] = await Promise.all([
    listEvents(db, authority, { q: effectiveQuery(q, range), sort, cursor, limit: 50 }),
    listSavedQueries(db, authority),
  ]);
  // A denied call the MCP gateway asked to escalate shows its request (issue 14); viewers see none.
  const denied = res.rows.filter((r) => r.type === "tool.call" && r.outcome === "denied");
  const gatewayRequests =
    can(authority, "escalations.read") && denied.length > 0
      ? Object.fromEntries(
          await findGatewayRequestsByDeniedEvent(
            db,
            authority,
            denied.map((r) => ({ tenant: r.tenant, eventId: r.id })),
          ),
        )
      : {};
  // Errors point into the search box text; the range is appended after it, so they line up.
  const error = res.error && res.error.position <= q.length ? res.error : undefined;
  const state = { q, range, sort, cols };
  const exportHref = (format: "csv" | "jsonl") =>
    `/api/events/export?${new URLSearchParams({ q: effectiveQuery(q, range), sort, format })}`;
  return (
    <>
      <h1>Events</h1>
      <p className="muted">
        {res.detail === "summary"
          ? "Summary view: who did what, when, and the outcome. Reasons and capabilities are for investigators."
          : "Every event in your tenants. Click a row for its capability, request and principal."}
      </p>
      <SearchBox q={q} range={range} sort={sort} cols={cols} error={error} />
      {res.error && !error ? (
        <p className="notice" role="status">
          {res.error.message}
        </p>
      ) : null}
      <div className="row-actions" style={{ margin: "10px 0", alignItems: "center" }}>
        <SavedQueries saved={saved} current={q} />
        <span style={{ flex: 1 }} />
        <LiveTail query={effectiveQuery(q, range)} />
        <a className="button" href={exportHref("csv")} download>
          Export CSV
        </a>
        <a className="button" href={exportHref("jsonl")} download>
          Export JSON Lines
        </a>
        <EvidenceExportLink authority={authority} source={{ kind: "query", q: effectiveQuery(q, range) }} />
      </div>
      <EventsTable
        rows={JSON.parse(JSON.stringify(res.rows))}
        detail={res.detail}
        cols={cols}
        state={state}
        gatewayRequests={gatewayRequests}
      />
      <nav className="row-actions" aria-label="Pages" style={{ marginTop: 12 }}>
        {cursor ? <Link href={explorerHref(state)}>⇤ {sort === "ts_desc" ? "Newest" : "Oldest"}</Link> : null}
        {res.nextCursor ? (
          <Link href={explorerHref({ ...state, cursor: res.nextCursor })} data-testid="next-page">
            Next page →
          </Link>
        ) : (
          <span className="muted">
            {res.error?.code === "too_expensive"
              ? "Nothing shown: the query was stopped."
              : res.rows.length === 0
                ? "No events match."
                : "End of results."}
          </span>
        )}
      </nav>
    </>
  );
}
