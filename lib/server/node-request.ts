import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";

/** A Node request as a web Request, so framework-free handlers can be served by node:http. */
export function toWebRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(`http://localhost${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
    // biome-ignore lint/suspicious/noExplicitAny: undici needs duplex for stream bodies.
    ...({ duplex: "half" } as any),
  });
}
