"use client";

import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  useReactTable,
  type VisibilityState,
} from "@tanstack/react-table";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { PinToCase } from "@/app/(console)/cases/_components/pin-to-case";
import { TierMark } from "@/components/tier-mark";
import { type ExplorerState, explorerHref } from "../url-state";

export type EventRowView = Record<string, unknown> & { id: string; ts: string };

const DEFAULT_VISIBLE = [
  "ts",
  "tenant",
  "type",
  "principal",
  "agent",
  "tool",
  "resource",
  "outcome",
  "reason",
];

function resourceOf(r: EventRowView): string {
  return [r.resourceType, r.resourceId].filter(Boolean).join("#");
}

export function getEventColumns(detail: "summary" | "full"): ColumnDef<EventRowView>[] {
  const text = (id: string, header: string, mono = false): ColumnDef<EventRowView> => ({
    id,
    header,
    accessorFn: (r) => r[id] ?? "",
    cell: (c) => <span className={mono ? "mono" : undefined}>{String(c.getValue() ?? "")}</span>,
  });
  const cols: ColumnDef<EventRowView>[] = [
    {
      id: "ts",
      header: "Time (UTC)",
      accessorFn: (r) => r.ts,
      // A late event (received long after its ts) sorts by its ts, among older events: say so.
      cell: (c) => (
        <span className="mono">
          {String(c.getValue()).replace("T", " ").slice(0, 19)}
          {c.row.original.late ? (
            <span className="badge" title="Received more than 10 minutes after this time" data-testid="late">
              {" "}
              late
            </span>
          ) : null}
        </span>
      ),
    },
    text("tenant", "Tenant"),
    {
      id: "type",
      header: "Type",
      accessorFn: (r) => r.type,
      cell: (c) => (
        <span className="mono">
          {String(c.getValue())}
          <TierMark tier={c.row.original.tier} uncovered={c.row.original.uncovered} />
        </span>
      ),
    },
    text("principal", "Principal"),
    text("agent", "Agent"),
    text("tool", "Tool", true),
    text("action", "Action"),
    {
      id: "resource",
      header: "Resource",
      accessorFn: resourceOf,
      cell: (c) => <span className="mono">{String(c.getValue())}</span>,
    },
    {
      id: "outcome",
      header: "Outcome",
      accessorFn: (r) => r.outcome,
      cell: (c) => (
        <span className={c.getValue() === "denied" ? "error" : c.getValue() === "error" ? "warn" : "ok"}>
          {String(c.getValue())}
        </span>
      ),
    },
    text("session", "Session", true),
    text("request", "Request", true),
    text("latencyMs", "Latency (ms)"),
  ];
  if (detail === "full") {
    cols.push(
      {
        id: "reason",
        header: "Reason",
        accessorFn: (r) => r.reason ?? "",
        cell: (c) => <span title={String(c.getValue())}>{String(c.getValue()).slice(0, 90)}</span>,
      },
      {
        id: "capabilityId",
        header: "Capability",
        accessorFn: (r) => String(r.capabilityId ?? "").slice(0, 12),
        cell: (c) => <span className="mono">{String(c.getValue())}</span>,
      },
    );
  }
  return cols;
}

/** The MCP gateway's escalation request for a denied call (issue 14), keyed `${tenant}/${eventId}`. */
export type GatewayRequestsByEvent = Record<string, { id: string; status: string }>;

function DetailSheet({
  row,
  onClose,
  gatewayRequest,
}: {
  row: EventRowView;
  onClose: () => void;
  gatewayRequest?: { id: string; status: string };
}) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const day = row.ts.slice(0, 10);
  const fields = Object.entries(row).filter(([, v]) => v !== null && v !== undefined && v !== "");
  return (
    <aside
      className="sheet"
      role="dialog"
      aria-modal="true"
      aria-label="Event detail"
      data-testid="event-sheet"
    >
      <div style={{ display: "flex", justifyContent: "space-between", alignItems: "center" }}>
        <h2>
          {String(row.type)}
          <TierMark tier={row.tier} uncovered={row.uncovered} />
        </h2>
        <button type="button" onClick={onClose} ref={close}>
          Close
        </button>
      </div>
      <p className="row-actions">
        <PinToCase tenant={String(row.tenant)} kind="event" refId={row.id} />
        {row.capabilityId ? (
          <Link href={`/capabilities/${row.capabilityId}?tenant=${encodeURIComponent(String(row.tenant))}`}>
            Capability
          </Link>
        ) : null}
        {row.request ? (
          <Link
            href={`/requests/${encodeURIComponent(String(row.request))}?tenant=${encodeURIComponent(String(row.tenant))}`}
          >
            Request
          </Link>
        ) : null}
        {row.principal ? (
          <Link href={`/principals/${encodeURIComponent(String(row.principal))}?day=${day}`}>
            Principal's day
          </Link>
        ) : null}
        {row.session ? (
          <Link href={`/events?q=${encodeURIComponent(`session:${row.session}`)}`}>Session's events</Link>
        ) : null}
      </p>
      {gatewayRequest ? (
        <p className="notice" data-testid="event-gateway-request">
          Escalation request from the gateway:{" "}
          <span
            className={`badge ${gatewayRequest.status === "granted" ? "ok" : gatewayRequest.status === "dismissed" ? "bad" : ""}`}
          >
            {gatewayRequest.status}
          </span>{" "}
          <Link href={`/escalations#request-${gatewayRequest.id}`}>Open in Escalations</Link>
        </p>
      ) : null}
      <dl className="facts">
        {fields.map(([k, v]) => (
          <div key={k} style={{ display: "contents" }}>
            <dt>{k}</dt>
            <dd className={typeof v === "string" && v.length > 40 ? "mono" : undefined}>
              {typeof v === "object" ? JSON.stringify(v) : String(v)}
            </dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}

export function EventsTable(props: {
  rows: EventRowView[];
  detail: "summary" | "full";
  cols: string;
  state: ExplorerState;
  gatewayRequests?: GatewayRequestsByEvent;
}) {
  const router = useRouter();
  const columns = useMemo(() => getEventColumns(props.detail), [props.detail]);
  const visible = props.cols ? props.cols.split(",") : DEFAULT_VISIBLE;
  const visibility: VisibilityState = Object.fromEntries(
    columns.map((c) => [c.id as string, visible.includes(c.id as string)]),
  );
  const [selected, setSelected] = useState<EventRowView | null>(null);
  const [chooser, setChooser] = useState(false);
  const table = useReactTable({
    data: props.rows,
    columns,
    state: { columnVisibility: visibility },
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualFiltering: true,
    manualPagination: true,
    getRowId: (r) => r.id,
  });
  const setVisible = (id: string, on: boolean) => {
    const next = columns.map((c) => c.id as string).filter((c) => (c === id ? on : visibility[c]));
    router.replace(explorerHref({ ...props.state, cols: next.join(",") }));
  };
  const flipSort = explorerHref({
    ...props.state,
    sort: props.state.sort === "ts_asc" ? "ts_desc" : "ts_asc",
  });
  return (
    <>
      <div className="row-actions" style={{ justifyContent: "flex-end" }}>
        <div className="col-chooser">
          <button type="button" aria-expanded={chooser} onClick={() => setChooser((v) => !v)}>
            Columns
          </button>
          {chooser ? (
            <div>
              {columns.map((c) => (
                <label key={c.id} style={{ flexDirection: "row", alignItems: "center", fontWeight: 400 }}>
                  <input
                    type="checkbox"
                    checked={Boolean(visibility[c.id as string])}
                    onChange={(e) => setVisible(c.id as string, e.target.checked)}
                  />{" "}
                  {String(c.header)}
                </label>
              ))}
            </div>
          ) : null}
        </div>
      </div>
      <table className="data events" data-testid="events-table">
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => (
                <th key={h.id}>
                  {h.column.id === "ts" ? (
                    <Link href={flipSort} aria-label="Change sort order">
                      {flexRender(h.column.columnDef.header, h.getContext())}{" "}
                      {props.state.sort === "ts_asc" ? "▲" : "▼"}
                    </Link>
                  ) : (
                    flexRender(h.column.columnDef.header, h.getContext())
                  )}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((r) => (
            <tr
              key={r.id}
              className="clickable"
              tabIndex={0}
              onClick={() => setSelected(r.original)}
              onKeyDown={(e) => e.key === "Enter" && setSelected(r.original)}
            >
              {r.getVisibleCells().map((c) => (
                <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {selected ? (
        <DetailSheet
          row={selected}
          onClose={() => setSelected(null)}
          gatewayRequest={props.gatewayRequests?.[`${String(selected.tenant)}/${selected.id}`]}
        />
      ) : null}
    </>
  );
}
