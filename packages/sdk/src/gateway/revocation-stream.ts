// The streaming form of the revocation feed (GET /api/v1/revocations with Accept:
// text/event-stream): entries arrive as the console records them, on top of the
// RevocationFollower's polling (which stays as the fallback when a stream is down).
import type { MutableRevocationList } from "../capability/index.js";
import { applyRevocation } from "../client/platform.js";
import { revocationFeedEntrySchema } from "../schema/wire.js";

export interface RevocationStreamOptions {
  baseUrl: string;
  apiKey: string;
  list: MutableRevocationList;
  log: (line: string) => void;
  fetch?: typeof fetch;
  reconnectMs?: number;
}

/** Follows the stream until the returned function is called; reconnects with Last-Event-ID. */
export function followRevocationStream(o: RevocationStreamOptions): () => void {
  const f = o.fetch ?? globalThis.fetch.bind(globalThis);
  let stopped = false;
  let abort = new AbortController();
  let cursor = 0;
  let failures = 0;

  const readOnce = async (): Promise<void> => {
    const res = await f(`${o.baseUrl.replace(/\/$/, "")}/api/v1/revocations?stream=1&since=${cursor}`, {
      headers: { authorization: `Bearer ${o.apiKey}`, accept: "text/event-stream" },
      signal: abort.signal,
    });
    if (!res.ok || !res.body) throw new Error(`revocation stream: ${res.status}`);
    failures = 0;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const data = frame
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim())
          .join("\n");
        if (!data) continue;
        const entry = revocationFeedEntrySchema.safeParse(JSON.parse(data));
        if (!entry.success) continue;
        applyRevocation(o.list, entry.data);
        cursor = Math.max(cursor, entry.data.cursor);
      }
    }
  };

  void (async () => {
    while (!stopped) {
      try {
        await readOnce();
      } catch (err) {
        if (stopped) return;
        failures++;
        if (failures === 3)
          o.log(`gateway: revocation stream unavailable (${(err as Error).message}); polling continues`);
      }
      if (stopped) return;
      await new Promise((r) =>
        setTimeout(r, Math.min(30_000, (o.reconnectMs ?? 1000) * 2 ** Math.min(failures, 5))).unref?.(),
      );
      abort = new AbortController();
    }
  })();
  return () => {
    stopped = true;
    abort.abort();
  };
}
