import "server-only";
import type { Db } from "@/db/client";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { type Authority, assertRole, tenantsInView } from "@/lib/auth/authority";
import { parseQuery } from "@/lib/query";
import type { EventSort } from "@/lib/query/cursor";
import { detailFor, EVENT_DETAIL_COLUMNS, EVENT_SUMMARY_COLUMNS, exportEvents } from "./events-query";

export type ExportFormat = "csv" | "jsonl";

// Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s =
    value instanceof Date
      ? value.toISOString()
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * Streams the query's events as CSV or JSON Lines, one keyset batch at a time (never the whole
 * result in memory), within the caller's role and tenants. The export itself is audited first:
 * if that record cannot be written, nothing is exported.
 */
export async function startExport(
  db: Db,
  authority: Authority,
  args: { q: string; sort: EventSort; format: ExportFormat },
): Promise<
  { ok: true; stream: ReadableStream<Uint8Array> } | { ok: false; error: string; position?: number }
> {
  assertRole(authority, ["viewer", "investigator", "admin"]);
  const parsed = parseQuery(args.q);
  if (!parsed.ok) return { ok: false, error: parsed.error.message, position: parsed.error.position };
  await db.transaction((tx) =>
    appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.events.exported",
        tenants: tenantsInView(authority),
        meta: { query: args.q, format: args.format, sort: args.sort },
      }),
    ),
  );
  const columns: string[] =
    detailFor(authority) === "full" ? [...EVENT_DETAIL_COLUMNS] : [...EVENT_SUMMARY_COLUMNS];
  const rows = exportEvents(db, authority, { q: args.q, sort: args.sort });
  const encoder = new TextEncoder();
  let headerSent = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (args.format === "csv" && !headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`${columns.map(csvCell).join(",")}\r\n`));
        return;
      }
      try {
        const next = await rows.next();
        if (next.done) {
          controller.close();
          return;
        }
        const row = next.value as unknown as Record<string, unknown>;
        const line =
          args.format === "csv"
            ? `${columns.map((c) => csvCell(row[c])).join(",")}\r\n`
            : `${JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])))}\n`;
        controller.enqueue(encoder.encode(line));
      } catch (err) {
        console.error("[export] failed:", err instanceof Error ? err.message : err);
        controller.error(new Error("export failed"));
      }
    },
    async cancel() {
      await rows.return(undefined);
    },
  });
  return { ok: true, stream };
}
