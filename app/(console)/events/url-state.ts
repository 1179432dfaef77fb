// The explorer's whole state lives in the URL, so every view can be shared and reloaded.

export const RANGES = [
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "all", label: "All time" },
] as const;
export type Range = (typeof RANGES)[number]["value"];

export interface ExplorerState {
  q: string;
  range: Range;
  sort: string;
  cols: string;
  cursor?: string;
}

/** The search box text plus the time range as one more term (after: takes relative forms). */
export function effectiveQuery(q: string, range: Range): string {
  return range === "all" ? q : `${q} after:${range}`.trim();
}

export function explorerHref(s: ExplorerState): string {
  const p = new URLSearchParams();
  if (s.q) p.set("q", s.q);
  if (s.range !== "7d") p.set("range", s.range);
  if (s.sort !== "ts_desc") p.set("sort", s.sort);
  if (s.cols) p.set("cols", s.cols);
  if (s.cursor) p.set("cursor", s.cursor);
  const qs = p.toString();
  return qs ? `/events?${qs}` : "/events";
}
