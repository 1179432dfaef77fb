import type { ApiError, KeysResponse, RevocationFeedPage } from "@capability-console/sdk/schema";
import type { Db } from "@/db/client";
import { apiKeyLive, authenticateApiKey } from "@/lib/data/api-key-auth";
import { listPublishedKeys, listRevocationsSince } from "@/lib/data/verifier-feed";
import { type SlotLimiter, streamSlots, tooManyStreams } from "@/lib/server/stream-slots";

// GET /api/v1/keys and GET /api/v1/revocations: what verifiers in other services read. The API
// key fixes the tenant; nothing here takes a tenant from the request.

const json = (
  body: KeysResponse | RevocationFeedPage | ApiError,
  status = 200,
  headers: Record<string, string> = {},
) => Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });

const UNAUTHORIZED = () =>
  json({ error: "Send a valid API key as Authorization: Bearer <key>." }, 401, {
    "www-authenticate": "Bearer",
  });

export async function handleKeys(db: Db, request: Request): Promise<Response> {
  const who = await authenticateApiKey(db, request.headers.get("authorization"));
  if (!who) return UNAUTHORIZED();
  return json({ keys: await listPublishedKeys(db, { tenant: who.tenant }) });
}

function parseSince(url: URL): number | { error: string } {
  const raw = url.searchParams.get("since") ?? "0";
  if (!/^\d{1,15}$/.test(raw)) return { error: "since must be a cursor: a whole number of 0 or more" };
  return Number(raw);
}

export interface FeedStreamOptions {
  /** How often the stream looks for new revocations. */
  pollMs?: number;
  /** A stream ends after this long; clients reconnect with Last-Event-ID. */
  maxMs?: number;
  heartbeatMs?: number;
  /** Event streams open at once per API key (streamSlots().feeds); tests pass their own. */
  slots?: SlotLimiter;
}

/**
 * The revocation feed. JSON pages by default; with `Accept: text/event-stream` (or ?stream=1),
 * server-sent events, one `revocation` event per entry, its cursor as the event id.
 */
export async function handleRevocations(
  db: Db,
  request: Request,
  opts: FeedStreamOptions = {},
): Promise<Response> {
  const who = await authenticateApiKey(db, request.headers.get("authorization"));
  if (!who) return UNAUTHORIZED();
  const url = new URL(request.url);
  const lastEventId = request.headers.get("last-event-id");
  if (lastEventId && !url.searchParams.has("since")) url.searchParams.set("since", lastEventId);
  const since = parseSince(url);
  if (typeof since !== "number") return json({ error: since.error, field: "since" }, 400);
  const streaming =
    url.searchParams.get("stream") === "1" ||
    (request.headers.get("accept") ?? "").includes("text/event-stream");
  if (!streaming) return json(await listRevocationsSince(db, { tenant: who.tenant, since }));
  // Each open stream polls on a pooled connection: one key may not hold more than a few.
  const slots = opts.slots ?? streamSlots().feeds;
  const release = slots.acquire(`key:${who.keyId}`);
  if (!release) return tooManyStreams("revocation streams", slots.max, "API key");

  const pollMs = opts.pollMs ?? 500;
  const maxMs = opts.maxMs ?? 5 * 60_000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const encoder = new TextEncoder();
  let cursor = since;
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const started = Date.now();
      let lastWrite = Date.now();
      const write = (text: string) => {
        controller.enqueue(encoder.encode(text));
        lastWrite = Date.now();
      };
      request.signal.addEventListener("abort", () => {
        closed = true;
        release();
      });
      write(`retry: 1000\n\n`);
      try {
        while (!closed && Date.now() - started < maxMs) {
          // A key revoked since the stream opened (on any console instance) ends it at the next poll.
          if (!(await apiKeyLive(db, who))) break;
          const page = await listRevocationsSince(db, { tenant: who.tenant, since: cursor });
          // A Last-Event-ID above the tenant's head is no cursor of this feed: replay it whole.
          if (page.head < cursor) {
            cursor = 0;
            continue;
          }
          for (const entry of page.revocations)
            write(`id: ${entry.cursor}\nevent: revocation\ndata: ${JSON.stringify(entry)}\n\n`);
          cursor = page.next;
          if (page.revocations.length > 0) continue;
          if (Date.now() - lastWrite > heartbeatMs) write(`: keep-alive\n\n`);
          await new Promise((r) => setTimeout(r, pollMs));
        }
      } catch (err) {
        // A poll still out when the client went away may fail as the pool closes: nobody to tell.
        if (!closed) console.error("[revocations] stream failed:", err instanceof Error ? err.message : err);
      }
      release();
      if (!closed) controller.close();
    },
    cancel() {
      closed = true;
      release();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
      // nginx passes each event on at once instead of buffering the response.
      "x-accel-buffering": "no",
    },
  });
}
