"use client";

import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  useReactTable,
  type VisibilityState,
} from "@tanstack/react-table";
import Link from "next/link";
import { useQueryStates } from "nuqs";
import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { TierMark } from "@/components/tier-mark";
import { keepTabInside } from "@/components/ui/focus-trap";
import { formatTime } from "@/lib/format/time";
import { type ExplorerState, explorerHref, explorerParsers } from "../url-state";
import { EventDetail, type EventRowView } from "./event-detail";

export type { EventRowView };

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

/**
 * Which columns stay when the table is narrow: 1 always (time, who, what, outcome, why), 2 from
 * about 820 px of table, 3 from about 1,100 px. The column chooser still decides what is shown at
 * all; priorities only drop chosen columns that would not fit (explorer.css).
 */
const PRIORITY: Record<string, 1 | 2 | 3> = {
  ts: 1,
  principal: 1,
  tool: 1,
  outcome: 1,
  reason: 1,
  type: 2,
  agent: 2,
  resource: 2,
  tenant: 3,
  action: 3,
  session: 3,
  request: 3,
  latencyMs: 3,
  capabilityId: 3,
};

function resourceOf(r: EventRowView): string {
  return [r.resourceType, r.resourceId].filter(Boolean).join("#");
}

/** A cell cut to its column's width, with the whole value on hover. */
function Cut({ value, mono = false, className }: { value: string; mono?: boolean; className?: string }) {
  return (
    <span className={[mono ? "mono" : "", className ?? ""].join(" ").trim() || undefined} title={value}>
      {value}
    </span>
  );
}

export function getEventColumns(detail: "summary" | "full"): ColumnDef<EventRowView>[] {
  const text = (id: string, header: string, mono = false): ColumnDef<EventRowView> => ({
    id,
    header,
    accessorFn: (r) => r[id] ?? "",
    cell: (c) => <Cut value={String(c.getValue() ?? "")} mono={mono} />,
  });
  const cols: ColumnDef<EventRowView>[] = [
    {
      id: "ts",
      header: "Time (UTC)",
      accessorFn: (r) => r.ts,
      // A late event (received long after its ts) sorts by its ts, among older events: say so.
      cell: (c) => (
        <span className="mono" title={formatTime(String(c.getValue()), "ms")}>
          {formatTime(String(c.getValue()))}
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
        <span className="mono" title={String(c.getValue())}>
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
      cell: (c) => <Cut value={String(c.getValue())} mono />,
    },
    {
      id: "outcome",
      header: "Outcome",
      accessorFn: (r) => r.outcome,
      cell: (c) => (
        <Cut
          value={String(c.getValue())}
          className={c.getValue() === "denied" ? "error" : c.getValue() === "error" ? "warn" : "ok"}
        />
      ),
    },
    text("session", "Session", true),
    text("request", "Request", true),
    text("latencyMs", "Latency (ms)"),
  ];
  if (detail === "full") {
    cols.push(text("reason", "Reason"), text("capabilityId", "Capability", true));
  }
  return cols;
}

/** The MCP gateway's escalation request for a denied call (issue 14), keyed `${tenant}/${eventId}`. */
export type GatewayRequestsByEvent = Record<string, { id: string; status: string }>;

function DetailSheet(props: {
  row: EventRowView;
  onClose: () => void;
  state: ExplorerState;
  canEscalate: boolean;
  canRevoke: boolean;
  gatewayRequest?: { id: string; status: string };
}) {
  const { onClose } = props;
  const sheet = useRef<HTMLElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
  }, []);
  // A modal sheet: Escape closes it, and Tab and Shift+Tab go round inside it.
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key === "Escape") {
      e.preventDefault();
      onClose();
      return;
    }
    keepTabInside(e, sheet.current);
  };
  return (
    <>
      <div className="sheet-backdrop" aria-hidden="true" onClick={onClose} />
      <aside
        ref={sheet}
        className="sheet event-sheet"
        role="dialog"
        aria-modal="true"
        aria-labelledby="event-sheet-title"
        data-testid="event-sheet"
        onKeyDown={onKeyDown}
      >
        <div className="sheet-close">
          <button type="button" onClick={onClose} ref={close}>
            Close
          </button>
        </div>
        <EventDetail
          row={props.row}
          state={props.state}
          canEscalate={props.canEscalate}
          canRevoke={props.canRevoke}
          gatewayRequest={props.gatewayRequest}
          showOpen
          headingId="event-sheet-title"
        />
      </aside>
    </>
  );
}

export function EventsTable(props: {
  rows: EventRowView[];
  detail: "summary" | "full";
  state: ExplorerState;
  canEscalate: boolean;
  canRevoke: boolean;
  gatewayRequests?: GatewayRequestsByEvent;
}) {
  const [, setParams] = useQueryStates(explorerParsers, { shallow: false, history: "replace" });
  const columns = useMemo(() => getEventColumns(props.detail), [props.detail]);
  const visible = props.state.cols ? props.state.cols.split(",") : DEFAULT_VISIBLE;
  const visibility: VisibilityState = Object.fromEntries(
    columns.map((c) => [c.id as string, visible.includes(c.id as string)]),
  );
  const [selected, setSelected] = useState<EventRowView | null>(null);
  const opener = useRef<string | null>(null);
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
    void setParams({ cols: next.join(",") });
  };
  const open = (row: EventRowView) => {
    opener.current = row.id;
    setSelected(row);
  };
  // Closing gives focus back to the row the sheet was opened from.
  const closeSheet = useCallback(() => {
    setSelected(null);
    const id = opener.current;
    requestAnimationFrame(() => {
      const tr = id ? document.querySelector<HTMLElement>(`tr[data-row-id="${CSS.escape(id)}"]`) : null;
      tr?.focus();
    });
  }, []);
  const asc = props.state.sort === "ts_asc";
  const flipSort = explorerHref({ ...props.state, sort: asc ? "ts_desc" : "ts_asc", cursor: "", before: "" });
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
              <p className="muted" style={{ margin: "6px 0 0", fontSize: 12 }}>
                On a narrow window the less needed columns step aside first.
              </p>
            </div>
          ) : null}
        </div>
      </div>
      <div className="events-wrap">
        <table className="data events" data-testid="events-table">
          <caption className="sr-only">Matching events. Press Enter on a row to open its detail.</caption>
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => (
                  <th
                    key={h.id}
                    scope="col"
                    className={`col-${h.column.id} prio-${PRIORITY[h.column.id] ?? 3}`}
                    aria-sort={h.column.id === "ts" ? (asc ? "ascending" : "descending") : undefined}
                  >
                    {h.column.id === "ts" ? (
                      <Link href={flipSort} data-testid="sort-ts">
                        {flexRender(h.column.columnDef.header, h.getContext())} {asc ? "▲" : "▼"}
                        <span className="sr-only">
                          {asc ? ", oldest first: show newest first" : ", newest first: show oldest first"}
                        </span>
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
                data-row-id={r.id}
                className="clickable"
                tabIndex={0}
                onClick={() => open(r.original)}
                onKeyDown={(e) => {
                  if (e.target !== e.currentTarget) return;
                  if (e.key === "Enter" || e.key === " ") {
                    // Without this the same key press, landing on the sheet's focused Close
                    // button, closed the sheet it had just opened.
                    e.preventDefault();
                    if (!e.repeat) open(r.original);
                  }
                }}
              >
                {r.getVisibleCells().map((c) => (
                  <td key={c.id} className={`col-${c.column.id} prio-${PRIORITY[c.column.id] ?? 3}`}>
                    {flexRender(c.column.columnDef.cell, c.getContext())}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected ? (
        <DetailSheet
          row={selected}
          onClose={closeSheet}
          state={props.state}
          canEscalate={props.canEscalate}
          canRevoke={props.canRevoke}
          gatewayRequest={props.gatewayRequests?.[`${String(selected.tenant)}/${selected.id}`]}
        />
      ) : null}
    </>
  );
}
