// COPY for benchmarks: rows as CSV into a table, each value as the driver would send it. The
// ingest bench measures its ceiling with it; the scale bench loads ten million events with it.
import { pipeline } from "node:stream/promises";
import { getTableColumns, getTableName, type Table } from "drizzle-orm";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

type Columns = [string, ReturnType<typeof getTableColumns>[string]][];

/** The table's columns that `rows` set, as [property, column] pairs. */
export function copyColumns(table: Table, rows: readonly Record<string, unknown>[]): Columns {
  const set = new Set<string>();
  for (const r of rows) for (const k in r) if (r[k] !== undefined) set.add(k);
  return Object.entries(getTableColumns(table)).filter(([k]) => set.has(k));
}

/** One row as CSV (jsonb as JSON, arrays as literals, timestamps in ISO 8601). */
export function csvLine(row: Record<string, unknown>, cols: Columns): string {
  return `${cols
    .map(([k, col]) => {
      const v = row[k];
      if (v === undefined || v === null) return "";
      let d: unknown = col.mapToDriverValue(v as never);
      if (d instanceof Date) d = d.toISOString();
      else if (Array.isArray(d))
        d = `{${d.map((x) => `"${String(x).replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
      else if (typeof d === "object") d = JSON.stringify(d);
      return `"${String(d).replace(/"/g, '""')}"`;
    })
    .join(",")}\n`;
}

/** A COPY statement's text and its CSV body for `rows` into `into` (default: the table's own name). */
export function copyBody(table: Table, rows: readonly Record<string, unknown>[], into = getTableName(table)) {
  const cols = copyColumns(table, rows);
  return {
    statement: `copy "${into}" (${cols.map(([, c]) => `"${c.name}"`).join(", ")}) from stdin with (format csv)`,
    body: rows.map((r) => csvLine(r, cols)).join(""),
  };
}

/** Sends a body built by copyBody. */
export async function copyInto(client: pg.Client, copy: { statement: string; body: string }): Promise<void> {
  await pipeline(
    (async function* () {
      yield copy.body;
    })(),
    client.query(copyFrom(copy.statement)),
  );
}
