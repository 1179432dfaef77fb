import { z } from "zod";

import { EVENT_SORTS, type EventSort } from "./sorts";

export { EVENT_SORTS, type EventSort };

/**
 * A keyset position: the last row's ts (as Postgres holds it, to the microsecond, in UTC) and id.
 * The JavaScript Date of a row has only milliseconds, so the ts is read as text from the database.
 */
export interface Cursor {
  sort: EventSort;
  ts: string;
  id: string;
}

const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MAX_CURSOR_LENGTH = 1024;

const cursorSchema = z
  .object({
    s: z.enum(["d", "a"]),
    t: z.string().regex(TS),
    i: z.string().min(1).max(256),
  })
  .strict();

export function encodeCursor(c: Cursor): string {
  const json = JSON.stringify({ s: c.sort === "ts_desc" ? "d" : "a", t: c.ts, i: c.id });
  return Buffer.from(json, "utf8").toString("base64url");
}

/** Null for anything that is not a cursor this module made for this sort order. */
export function decodeCursor(raw: string, sort: EventSort): Cursor | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_CURSOR_LENGTH) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const c = cursorSchema.safeParse(parsed);
  if (!c.success) return null;
  const cursorSort: EventSort = c.data.s === "d" ? "ts_desc" : "ts_asc";
  if (cursorSort !== sort || Number.isNaN(Date.parse(c.data.t))) return null;
  return { sort: cursorSort, ts: c.data.t, id: c.data.i };
}

// A timestamptz as Postgres writes it in text (DateStyle ISO), which is how drizzle hands raw
// rows over: "2026-11-26 09:14:03.51225+00", in the session's time zone, the fraction only when
// it is not zero, the offset to the minute or the second for some historical zones, " BC" after
// years before 1. Read with charCodeAt rather than a regular expression: the explorer does it for
// every timestamp of every page.

/** The number written by the digits text[from, to), or NaN. */
function digits(text: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The UTC epoch milliseconds of the whole second and the microseconds past it; NaN if unreadable. */
function scanPgTimestamp(text: string): { second: number; micros: number } {
  const bad = { second: Number.NaN, micros: 0 };
  const y = text.indexOf("-", 4);
  if (y < 4) return bad;
  // "YYYY-MM-DD HH:MM:SS" with the year's end at y.
  if (text[y + 3] !== "-" || text[y + 6] !== " " || text[y + 9] !== ":" || text[y + 12] !== ":") return bad;
  let year = digits(text, 0, y);
  const month = digits(text, y + 1, y + 3);
  const day = digits(text, y + 4, y + 6);
  const hour = digits(text, y + 7, y + 9);
  const minute = digits(text, y + 10, y + 12);
  const sec = digits(text, y + 13, y + 15);
  let i = y + 15;
  let micros = 0;
  if (text[i] === ".") {
    let n = 0;
    for (i += 1; n < 6 && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57; i++, n++)
      micros = micros * 10 + text.charCodeAt(i) - 48;
    if (n === 0) return bad;
    for (; n < 6; n++) micros *= 10;
  }
  const sign = text[i] === "-" ? 1 : text[i] === "+" ? -1 : 0;
  if (sign === 0) return bad;
  let offset = digits(text, i + 1, i + 3) * 3600;
  i += 3;
  if (text[i] === ":") {
    offset += digits(text, i + 1, i + 3) * 60;
    i += 3;
    if (text[i] === ":") {
      offset += digits(text, i + 1, i + 3);
      i += 3;
    }
  }
  if (text.endsWith(" BC", i + 3) && text.length === i + 3) year = 1 - year;
  else if (text.length !== i) return bad;
  const local = (daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + sec) * 1000;
  return { second: local + sign * offset * 1000, micros };
}

function readPgTimestamp(text: string): { second: number; micros: number } {
  const at = scanPgTimestamp(text);
  if (Number.isNaN(at.second))
    throw new Error(`Unexpected timestamptz text from the database (DateStyle must be ISO): ${text}`);
  return at;
}

/** A timestamptz's text as a Date (milliseconds: the microseconds are cut, as Date has none). */
export function pgTimestampToDate(text: string): Date {
  const { second, micros } = readPgTimestamp(text);
  return new Date(second + Math.floor(micros / 1000));
}

/** A timestamptz's text as a Cursor's ts: UTC, to the microsecond (2026-11-26T09:14:03.512250Z). */
export function pgTimestampToCursorTs(text: string): string {
  const { second, micros } = readPgTimestamp(text);
  return `${new Date(second).toISOString().slice(0, -5)}.${String(micros).padStart(6, "0")}Z`;
}
