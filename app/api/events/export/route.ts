import { authorizeRoute } from "@/lib/auth/guard";
import { startExport } from "@/lib/data/events-export";
import { parseSort } from "@/lib/data/events-query";
import { getDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const authority = await authorizeRoute("events.read");
  if (authority instanceof Response) return authority;
  const url = new URL(request.url);
  const format = url.searchParams.get("format") ?? "csv";
  if (format !== "csv" && format !== "jsonl") {
    return Response.json({ error: "format must be csv or jsonl", field: "format" }, { status: 400 });
  }
  const q = url.searchParams.get("q") ?? "";
  const res = await startExport(await getDb(), authority, {
    q,
    sort: parseSort(url.searchParams.get("sort") ?? "ts_desc"),
    format,
  });
  if (!res.ok)
    return Response.json({ error: res.error, field: "q", position: res.position }, { status: 400 });
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
  return new Response(res.stream, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="events-${stamp}.${format}"`,
      "cache-control": "no-store",
    },
  });
}
