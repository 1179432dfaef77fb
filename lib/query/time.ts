// Time values for after:/before:. Everything is UTC: the server knows no user time zone, and a
// shared URL must mean the same instant for everyone who opens it.

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

const RELATIVE = /^(?:now-)?(\d{1,6})([smhdw])$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?$/i;

// Postgres timestamptz and JavaScript Date agree on this range; outside it a value is a typo.
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

function utcDate(y: number, m: number, d: number): Date | null {
  if (y < MIN_YEAR || y > MAX_YEAR || m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  // Date.UTC rolls 2026-02-30 over into March; a round trip catches that.
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date : null;
}

const startOfUtcDay = (t: Date) => new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));

/**
 * Parses an after:/before: value against `now`: an ISO date (midnight UTC), an ISO date-time
 * (UTC unless it carries an offset), `now`, `today`, `yesterday`, `15m`/`2h`/`7d`/`1w`/`30s`
 * or `now-1h` (that long before now). Returns null for anything else.
 */
export function parseTimeValue(raw: string, now: Date): Date | null {
  const v = raw.toLowerCase();
  if (Number.isNaN(now.getTime())) return null;
  if (v === "now") return new Date(now.getTime());
  if (v === "today") return startOfUtcDay(now);
  if (v === "yesterday") return new Date(startOfUtcDay(now).getTime() - DAY_MS);
  const rel = RELATIVE.exec(v);
  if (rel) {
    const at = new Date(now.getTime() - Number(rel[1]) * (UNIT_MS[rel[2] ?? ""] ?? 0));
    return Number.isNaN(at.getTime()) || at.getUTCFullYear() < MIN_YEAR ? null : at;
  }
  const d = DATE.exec(raw);
  if (d) return utcDate(Number(d[1]), Number(d[2]), Number(d[3]));
  const dt = DATE_TIME.exec(raw);
  if (!dt) return null;
  const day = utcDate(Number(dt[1]), Number(dt[2]), Number(dt[3]));
  const [hh, mm, ss] = [Number(dt[4]), Number(dt[5]), Number(dt[6] ?? 0)];
  if (!day || hh > 23 || mm > 59 || ss > 59) return null;
  const ms = Math.floor(Number(`0.${dt[7] ?? "0"}`) * 1000);
  let offsetMin = 0;
  const zone = dt[8];
  if (zone && zone.toUpperCase() !== "Z") {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMin = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const at = new Date(day.getTime() + ((hh * 60 + mm) * 60 + ss) * 1000 + ms - offsetMin * 60_000);
  return Number.isNaN(at.getTime()) ? null : at;
}

export const TIME_HINT =
  "Use a date (2026-11-26), a date-time (2026-11-26T09:14Z), today, yesterday, now, " +
  "or a time ago: 30s, 15m, 2h, 7d, 1w, now-1h.";
