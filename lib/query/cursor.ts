import { z } from "zod";

export const EVENT_SORTS = ["ts_desc", "ts_asc"] as const;
export type EventSort = (typeof EVENT_SORTS)[number];

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
