import { authorizeRoute } from "@/lib/auth/guard";
import { loadSessionAuthority } from "@/lib/data/console-sessions";
import { listEvents } from "@/lib/data/events-query";
import { parseQuery } from "@/lib/query";
import { getDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const POLL_MS = 1000;
const MAX_MS = 10 * 60_000;

/** Live tail: new events matching ?q=, as server-sent events, within the viewer's role and scope. */
export async function GET(request: Request): Promise<Response> {
  const authority = await authorizeRoute("events.read");
  if (authority instanceof Response) return authority;
  const q = new URL(request.url).searchParams.get("q") ?? "";
  const db = await getDb();
  const encoder = new TextEncoder();
  let closed = false;
  request.signal.addEventListener("abort", () => {
    closed = true;
  });
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: string, data: unknown) =>
        controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      const parsed = parseQuery(q);
      if (!parsed.ok) {
        send("query-error", parsed.error);
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode("retry: 2000\n\n"));
      const started = Date.now();
      let since = new Date(started - 2000);
      const seen = new Set<string>();
      while (!closed && Date.now() - started < MAX_MS) {
        // Signed out, disabled or revoked since the stream opened: stop at the next tick.
        const still = await loadSessionAuthority(db, {
          sessionId: authority.sessionId,
          activeTenant: authority.activeTenant,
        }).catch(() => null);
        if (!still || still.role !== authority.role) {
          send("session-ended", { message: "Your session has ended. Sign in again." });
          break;
        }
        try {
          const res = await listEvents(db, authority, {
            q: `${q} after:${since.toISOString()}`.trim(),
            sort: "ts_asc",
            limit: 100,
          });
          for (const row of res.rows) {
            if (seen.has(row.id)) continue;
            seen.add(row.id);
            send("event", {
              id: row.id,
              ts: row.ts,
              type: row.type,
              principal: row.principal,
              tool: row.tool,
              outcome: row.outcome,
            });
            if (row.ts > since) since = row.ts;
          }
          if (seen.size > 5000) seen.clear();
        } catch (err) {
          console.error("[live tail]", err instanceof Error ? err.message : err);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      if (!closed) controller.close();
    },
    cancel() {
      closed = true;
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
  });
}
