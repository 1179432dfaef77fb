// One way to show an instant across the console: UTC, with the zone written out, so a time read
// off one page can be typed into another (or compared with a SIEM's) without guessing the zone.
// Pure and client-safe: server pages and client components call the same functions.

export type TimePrecision = "min" | "s" | "ms";

function toDate(value: Date | string | number): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2026-12-02 12:07:42 UTC" (or to the minute / millisecond). Missing or invalid: the fallback. */
export function formatTime(
  value: Date | string | number | null | undefined,
  precision: TimePrecision = "s",
  fallback = "—",
): string {
  if (value === null || value === undefined) return fallback;
  const d = toDate(value);
  if (!d) return fallback;
  const iso = d.toISOString();
  const len = precision === "min" ? 16 : precision === "s" ? 19 : 23;
  return `${iso.slice(0, len).replace("T", " ")} UTC`;
}

/** Time of day only, for rows already grouped under a day heading: "12:07:42 UTC". */
export function formatClock(value: Date | string | number, precision: TimePrecision = "s"): string {
  const full = formatTime(value, precision, "");
  return full ? full.slice(11) : "—";
}

/** A UTC calendar day, "2026-12-02". */
export function formatDay(value: Date | string | number): string {
  const d = toDate(value);
  return d ? d.toISOString().slice(0, 10) : "—";
}

/** "3 s", "4 min", "2 h 5 min", "3 d": a duration for people, rounded down to its largest units. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** "in 42 s" / "3 min ago" relative to now (both instants in ms since the epoch). */
export function formatRelative(at: Date | string | number, now: number = Date.now()): string {
  const d = toDate(at);
  if (!d) return "—";
  const diff = d.getTime() - now;
  return diff >= 0 ? `in ${formatDuration(diff)}` : `${formatDuration(-diff)} ago`;
}

/** "1 capability", "3 capabilities", "1,204 events". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}
