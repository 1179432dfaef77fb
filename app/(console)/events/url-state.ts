// The explorer's whole state lives in the URL, so every view can be shared and reloaded. One set
// of nuqs parsers reads it on the server (createSearchParamsCache, in page.tsx) and on the client
// (useQueryStates), and one serializer writes every link.

import { createSerializer, parseAsBoolean, parseAsString, parseAsStringLiteral } from "nuqs/server";
import { EVENT_SORTS } from "@/lib/query/sorts";

export const RANGES = [
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "all", label: "All time" },
] as const;
export type Range = (typeof RANGES)[number]["value"];
const RANGE_VALUES = RANGES.map((r) => r.value) as unknown as readonly Range[];

export const explorerParsers = {
  /** The search box text (docs/query-language.md). */
  q: parseAsString.withDefault(""),
  /** A preset time range, counted back from now; from/to, when set, replace it. */
  range: parseAsStringLiteral(RANGE_VALUES).withDefault("7d"),
  /** An absolute range, UTC, as the query language writes instants (2026-12-02T10:00). */
  from: parseAsString.withDefault(""),
  to: parseAsString.withDefault(""),
  sort: parseAsStringLiteral(EVENT_SORTS).withDefault("ts_desc"),
  /** Visible columns, comma-separated; empty: the defaults. */
  cols: parseAsString.withDefault(""),
  /** The next page (keyset after this position) or the previous one (keyset before it). */
  cursor: parseAsString.withDefault(""),
  before: parseAsString.withDefault(""),
  /** Include the console's own events (sign-ins, saved queries…); off: agent activity only. */
  console: parseAsBoolean.withDefault(false),
};

export type ExplorerState = {
  q: string;
  range: Range;
  from: string;
  to: string;
  sort: (typeof EVENT_SORTS)[number];
  cols: string;
  cursor: string;
  before: string;
  console: boolean;
};

export const DEFAULT_STATE: ExplorerState = {
  q: "",
  range: "7d",
  from: "",
  to: "",
  sort: "ts_desc",
  cols: "",
  cursor: "",
  before: "",
  console: false,
};

const serialize = createSerializer(explorerParsers, { clearOnDefault: true });

/** The explorer's address for a state; defaults are left out, so the plain view is /events. */
export function explorerHref(s: Partial<ExplorerState>): string {
  const full = { ...DEFAULT_STATE, ...s };
  return serialize("/events", {
    ...full,
    q: full.q || null,
    from: full.from || null,
    to: full.to || null,
    cols: full.cols || null,
    cursor: full.cursor || null,
    before: full.before || null,
  });
}

/** A new search from this state: page cursors dropped (they belong to the old result). */
export function firstPage(s: ExplorerState, change: Partial<ExplorerState> = {}): ExplorerState {
  return { ...s, ...change, cursor: "", before: "" };
}

/** The query names a type: itself, so the "agent activity only" default steps aside. */
export function namesType(q: string): boolean {
  return /(^|[\s(-])type:/i.test(q);
}

/** The terms the time picker adds: an absolute from/to, or the preset counted back from now. */
export function timeTerms(s: Pick<ExplorerState, "range" | "from" | "to">): string {
  if (s.from || s.to) {
    return [s.from ? `after:${s.from}` : "", s.to ? `before:${s.to}` : ""].filter(Boolean).join(" ");
  }
  return s.range === "all" ? "" : `after:${s.range}`;
}

/** The console's own event types, left out of the default view. */
export const CONSOLE_TERM = "-type:console.*";

/**
 * The search box text plus the view's other terms (console activity, time range), appended
 * after it so a parse error's position still points into the search box.
 */
export function effectiveQuery(s: Pick<ExplorerState, "q" | "range" | "from" | "to" | "console">): string {
  const consoleTerm = s.console || namesType(s.q) ? "" : CONSOLE_TERM;
  return [s.q.trim(), consoleTerm, timeTerms(s)].filter(Boolean).join(" ");
}

/** A value as the query language writes it: quoted, with \ and " escaped. */
export function quoteValue(v: string): string {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The search box text with one more term: `key:"value"`, or `-key:"value"` to exclude. */
export function withTerm(q: string, key: string, value: string, exclude = false): string {
  const term = `${exclude ? "-" : ""}${key}:${quoteValue(value)}`;
  return q.trim() ? `${q.trim()} ${term}` : term;
}

/**
 * A saved query's text is the search box plus its time terms (so it keeps its range), and reads
 * back into both: trailing after:/before: terms become the time picker's state.
 */
export function savedQueryText(s: Pick<ExplorerState, "q" | "range" | "from" | "to">): string {
  return [s.q.trim(), timeTerms(s)].filter(Boolean).join(" ");
}

export function readSavedQuery(text: string): Pick<ExplorerState, "q" | "range" | "from" | "to"> {
  let q = text.trim();
  let from = "";
  let to = "";
  for (;;) {
    const m = /(?:^|\s)(after|before):(\S+)$/.exec(q);
    if (!m) break;
    if (m[1] === "after" && !from) from = m[2] ?? "";
    else if (m[1] === "before" && !to) to = m[2] ?? "";
    else break;
    q = q.slice(0, m.index).trim();
  }
  const preset = RANGES.find((r) => r.value === from);
  if (preset && !to) return { q, range: preset.value, from: "", to: "" };
  return { q, range: from || to ? "7d" : "all", from, to };
}
