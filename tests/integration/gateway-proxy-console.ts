// The console's real route handlers (events, keys, revocations and their stream, escalation
// pick-up and use, the gateway's config and escalation requests) served over HTTP in-process,
// on a real database: what the gateway talks to in the gateway-proxy tests and the gateway bench.
// Unlike bench/http-server.ts, response bodies are streamed (the revocation feed's event stream)
// and a closed connection aborts the request (so an open stream ends with its client).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { Db } from "@/db/client";
import { issuers } from "@/db/schema";
import { handleEscalationPickup, handleEscalationUse } from "@/lib/api/escalation-routes";
import {
  handleGatewayConfig,
  handleGatewayEscalationRequest,
  handleGatewayEscalationRequestStatus,
} from "@/lib/api/gateway-routes";
import { handleKeys, handleRevocations } from "@/lib/api/verifier-routes";
import { generateIssuerKey, type IssuerKeyPair } from "@/lib/capability";
import { insertApiKey } from "@/lib/data/api-keys";
import { handleIngest } from "@/lib/ingest";
import { createSlotLimiter } from "@/lib/server/stream-slots";

export type Handler = (request: Request) => Promise<Response>;

export interface ServedConsole {
  url: string;
  apiKey: string;
  consoleKey: IssuerKeyPair;
  close(): Promise<void>;
}

function toRequest(req: http.IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(`http://localhost${req.url}`, {
    method: req.method,
    headers,
    signal,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
    // biome-ignore lint/suspicious/noExplicitAny: undici needs duplex for stream bodies.
    ...({ duplex: "half" } as any),
  });
}

/** Serves the console routes the gateway uses for `tenant`; returns an ingest key of it. */
export async function serveConsole(
  db: Db,
  tenant: string,
  extra: Array<[string, RegExp, Handler]> = [],
): Promise<ServedConsole> {
  const consoleKey = await generateIssuerKey(`console-gw-${Date.now()}`);
  await db.insert(issuers).values({ kid: consoleKey.kid, tenant: null, publicKey: consoleKey.publicKey });
  const { key: apiKey } = await insertApiKey(db, { tenant, source: "gateway", createdBy: "test" });
  const slots = createSlotLimiter(8);
  const routes: Array<[string, RegExp, Handler]> = [
    ["POST", /^\/api\/v1\/events$/, (r) => handleIngest(db, r, { log: () => {} })],
    ["GET", /^\/api\/v1\/keys$/, (r) => handleKeys(db, r)],
    ["GET", /^\/api\/v1\/revocations$/, (r) => handleRevocations(db, r, { slots, maxMs: 60_000 })],
    ["GET", /^\/api\/v1\/escalations$/, (r) => handleEscalationPickup(db, r, { consoleKey })],
    ["POST", /^\/api\/v1\/escalations\/[^/]+\/use$/, (r) => handleEscalationUse(db, r)],
    ["GET", /^\/api\/v1\/gateway\/config$/, (r) => handleGatewayConfig(db, r)],
    ["POST", /^\/api\/v1\/gateway\/escalation-requests$/, (r) => handleGatewayEscalationRequest(db, r)],
    [
      "GET",
      /^\/api\/v1\/gateway\/escalation-requests\/[^/]+$/,
      (r) => handleGatewayEscalationRequestStatus(db, r),
    ],
    ...extra,
  ];
  const server = http.createServer(async (req, res) => {
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const route = routes.find(([method, re]) => method === req.method && re.test(path));
    try {
      const response = route
        ? await route[2](toRequest(req, abort.signal))
        : Response.json({ error: "not found" }, { status: 404 });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body)
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      res.end();
    } catch (err) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey,
    consoleKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
