import type { Metadata } from "next";
import Link from "next/link";
import type { SearchParams } from "nuqs/server";
import { Suspense } from "react";
import { EvidenceExportLink } from "@/app/(console)/evidence/_components/export-link";
import { ReadSourceNote } from "@/components/read-source-note";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { listEvents } from "@/lib/data/events-query";
import { findGatewayRequestsByDeniedEvent } from "@/lib/data/gateway-requests";
import { listSavedQueries } from "@/lib/data/saved-queries";
import { parseTimeValue } from "@/lib/query/time";
import { getDb, getReadDb } from "@/lib/server/db";
import { ConsoleToggle } from "../_components/console-toggle";
import { EventsTable } from "../_components/events-table";
import { LiveTail } from "../_components/live-tail";
import { CountFallback, HistogramFallback, HistogramPanel, MatchCount } from "../_components/panels";
import { SavedQueries } from "../_components/saved-queries";
import { SearchBox } from "../_components/search-box";
import { explorerCache } from "../search-params";
import { effectiveQuery, explorerHref, namesType } from "../url-state";
import "../explorer.css";

export const metadata: Metadata = { title: "Events" };

const PRESET_MS: Record<string, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

export default async function EventsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const authority = await requirePermission("events.read");
  const state = await explorerCache.parse(searchParams);
  const now = new Date();
  // The absolute range, checked here so a bad one is named by its field, not as a query term.
  const fromAt = state.from ? parseTimeValue(state.from, now) : null;
  const toAt = state.to ? parseTimeValue(state.to, now) : null;
  const timeError =
    state.from && !fromAt
      ? { field: "from" as const, message: "From: not a time (use 2026-12-02T10:00, UTC)." }
      : state.to && !toAt
        ? { field: "to" as const, message: "To: not a time (use 2026-12-02T10:00, UTC)." }
        : fromAt && toAt && toAt <= fromAt
          ? { field: "to" as const, message: "To must be after From." }
          : undefined;
  const query = effectiveQuery(state);
  const db = await getDb();
  // The listing may come from the read replica; saved queries and gateway requests are read where they are written.
  const read = await getReadDb("events.list");
  const [res, saved] = await Promise.all([
    listEvents(read, authority, {
      q: query,
      sort: state.sort,
      cursor: state.cursor || null,
      before: state.before || null,
      limit: 50,
      now,
    }),
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
  // Errors point into the search box text; the other terms are appended after it, so they line up.
  const error = res.error && res.error.position <= state.q.length ? res.error : undefined;
  const exportHref = (format: "csv" | "jsonl") =>
    `/api/events/export?${new URLSearchParams({ q: query, sort: state.sort, format })}`;
  const histFrom =
    state.from || state.to
      ? fromAt
      : state.range === "all"
        ? null
        : new Date(now.getTime() - (PRESET_MS[state.range] ?? 0));
  const histTo = state.to ? toAt : now;
  const panelKey = `${query}|${state.range}`;
  const firstPageHref = explorerHref({ ...state, cursor: "", before: "" });
  return (
    <div className="explorer">
      <h1>Events</h1>
      <p className="muted">
        {res.detail === "summary"
          ? "Summary view: who did what, when, and the outcome. Reasons and capabilities are for investigators."
          : "Every event in your tenants. Open a row (click, or Enter) for its capability, request and principal."}
      </p>
      <ReadSourceNote source={read.source} />
      {/* Keyed on what it shows: a chip, a bar or a saved query changes the URL client-side, and
          the form's fields must show the new state, not the one they were first filled with. */}
      <SearchBox
        key={`${state.q}|${state.range}|${state.from}|${state.to}`}
        state={state}
        error={error}
        timeError={timeError}
      />
      {res.error && !error && !timeError ? (
        <p className="notice" role="status">
          {res.error.message}
        </p>
      ) : null}
      <div className="explorer-bar">
        <Suspense key={`count-${panelKey}`} fallback={<CountFallback />}>
          <MatchCount authority={authority} q={query} />
        </Suspense>
        <ConsoleToggle on={state.console} overridden={namesType(state.q)} />
        <span className="grow" />
        <SavedQueries saved={saved} state={state} />
      </div>
      <div className="explorer-bar">
        <LiveTail query={query} />
        <span className="grow" />
        <a className="button" href={exportHref("csv")} download>
          Export CSV
        </a>
        <a className="button" href={exportHref("jsonl")} download>
          Export JSON Lines
        </a>
        <EvidenceExportLink authority={authority} source={{ kind: "query", q: query }} />
      </div>
      {timeError ? null : (
        <Suspense key={`hist-${panelKey}`} fallback={<HistogramFallback />}>
          <HistogramPanel authority={authority} q={query} from={histFrom} to={histTo} />
        </Suspense>
      )}
      {/* Keyed on the result it shows: a chip or a page link closes the sheet of the old one. */}
      <EventsTable
        key={`${query}|${state.sort}|${state.cursor}|${state.before}`}
        rows={JSON.parse(JSON.stringify(res.rows))}
        detail={res.detail}
        state={state}
        canEscalate={can(authority, "escalations.issue")}
        canRevoke={can(authority, "sessions.revoke")}
        gatewayRequests={gatewayRequests}
      />
      <nav className="row-actions pager" aria-label="Pages">
        {state.cursor || state.before ? (
          <Link href={firstPageHref} data-testid="first-page">
            ⇤ {state.sort === "ts_desc" ? "Newest" : "Oldest"}
          </Link>
        ) : null}
        {res.prevCursor ? (
          <Link
            href={explorerHref({ ...state, cursor: "", before: res.prevCursor })}
            data-testid="prev-page"
            rel="prev"
          >
            ← Previous page
          </Link>
        ) : null}
        {res.nextCursor ? (
          <Link
            href={explorerHref({ ...state, before: "", cursor: res.nextCursor })}
            data-testid="next-page"
            rel="next"
          >
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
    </div>
  );
}
