// The console's real OTLP and ingest route handlers served over HTTP on a random port, for an
// OpenTelemetry exporter to talk to as it would to a running console. The route handlers open
// the database through lib/server/db's holder, which this points at the test's database. Every
// request body (as sent: compressed or not) is kept, so a test can replay an export verbatim.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Database } from "@/db/client";

export interface Recorded {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  status: number;
}

export interface OtlpTestServer {
  base: string;
  recorded: Recorded[];
  close(): Promise<void>;
}

type Handler = (request: Request) => Promise<Response>;

export async function startOtlpServer(database: Database): Promise<OtlpTestServer> {
  (globalThis as { __consoleDb?: Promise<Database> }).__consoleDb = Promise.resolve(database);
  const traces = (await import("@/app/api/v1/otlp/v1/traces/route")).POST as Handler;
  const bare = (await import("@/app/api/v1/otlp/route")).POST as Handler;
  const ingest = (await import("@/app/api/v1/events/route")).POST as Handler;
  const routes: Record<string, Handler> = {
    "/api/v1/otlp/v1/traces": traces,
    "/api/v1/otlp": bare,
    "/api/v1/events": ingest,
  };
  const recorded: Recorded[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const handler = routes[path];
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : [])),
    );
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    const request = new Request(`http://localhost${req.url}`, { method: req.method, headers, body });
    const response = await handler(request);
    recorded.push({ path, headers, body, status: response.status });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    recorded,
    close: () =>
      new Promise<void>((r) => {
        (globalThis as { __consoleDb?: unknown }).__consoleDb = undefined;
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
