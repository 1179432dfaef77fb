// The console's real route handlers (events, keys, revocations and their stream, escalation
// pick-up and use, the gateway's config and escalation requests) served over HTTP in-process,
// on a real database: what the gateway talks to in the gateway-proxy tests and the gateway bench.
// Unlike bench/http-server.ts, response bodies are streamed (the revocation feed's event stream)
// and a closed connection aborts the request (so an open stream ends with its client).
import { mkdtemp, writeFile } from "node:fs/promises";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { parseGatewayConfig, type RunningGateway, startGateway } from "@capability-console/sdk/gateway";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { events, issuers } from "@/db/schema";
import { handleEscalationPickup, handleEscalationUse } from "@/lib/api/escalation-routes";
import {
  handleGatewayConfig,
  handleGatewayEscalationRequest,
  handleGatewayEscalationRequestStatus,
} from "@/lib/api/gateway-routes";
import { handleKeys, handleRevocations } from "@/lib/api/verifier-routes";
import type { Authority } from "@/lib/auth/authority";
import { generateIssuerKey, type IssuerKeyPair } from "@/lib/capability";
import { insertApiKey } from "@/lib/data/api-keys";
import { addGatewayRule, gatewayRuleInputSchema, issueGatewayClient } from "@/lib/data/gateway";
import { grantGatewayEscalationRequest } from "@/lib/data/gateway-requests";
import { handleIngest } from "@/lib/ingest";
import { createSlotLimiter } from "@/lib/server/stream-slots";
import { addTenants, signedIn } from "../support/fixtures";

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

export interface GatewayWorld {
  served: ServedConsole;
  gateway: RunningGateway;
  admin: Authority;
  /** The workspace folder server-filesystem serves (has hello.txt). */
  dir: string;
  clientId: string;
  credential: string;
  connect(credential?: string): Promise<Client>;
  /** The admin grants a gateway's escalation request (the console signs with its own key). */
  grant(requestId: string): Promise<unknown>;
  /** The gateway session (`sess_gw_…`) opened last. */
  sessionOf(): string;
  eventsOf(session: string): Promise<(typeof events.$inferSelect)[]>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
export const FS_SERVER = require.resolve("@modelcontextprotocol/server-filesystem/dist/index.js");

/**
 * Tenant acme (and globex) with an admin, a gateway client for alice's support-bot and a read
 * rule for `fs.read_*` inside the workspace; the console served over HTTP; a gateway in front of
 * server-filesystem over stdio on a temporary folder.
 */
export async function openGatewayWorld(
  db: Db,
  opts: { config?: Record<string, unknown> } = {},
): Promise<GatewayWorld> {
  await addTenants(db, ["acme", "globex"]);
  const admin = await signedIn(db, { email: "admin@acme.test", role: "admin", tenants: ["acme", "globex"] });
  const served = await serveConsole(db, "acme");
  const dir = await mkdtemp(path.join(tmpdir(), "gw-proxy-"));
  await writeFile(path.join(dir, "hello.txt"), "hello from server-filesystem");
  const issued = await issueGatewayClient(db, admin, {
    tenant: "acme",
    name: "support bot",
    principal: "alice@acme.example",
    agent: "support-bot",
    groups: ["support"],
  });
  await addGatewayRule(
    db,
    admin,
    gatewayRuleInputSchema.parse({
      tenant: "acme",
      subjectKind: "agent",
      subjectValue: "support-bot",
      tool: "fs.read_*",
      arguments: [{ path: "path", match: `${dir}/**` }],
      note: "reads inside the workspace",
    }),
  );
  const config = parseGatewayConfig({
    consoleUrl: served.url,
    apiKey: served.apiKey,
    port: 0,
    digestKey: "integration-digest-key",
    ...opts.config,
    upstreams: {
      fs: {
        command: process.execPath,
        args: [FS_SERVER, dir],
        tools: {
          read_file: { resourceType: "File", resourceArgument: "path", action: "read" },
          read_text_file: { resourceType: "File", resourceArgument: "path", action: "read" },
          write_file: { resourceType: "File", resourceArgument: "path", action: "write" },
        },
      },
    },
  });
  const gateway = await startGateway({
    config,
    issuer: await generateIssuerKey(`gw-int-${Date.now()}`),
    log: () => {},
  });
  const clients: Client[] = [];
  return {
    served,
    gateway,
    admin,
    dir,
    clientId: issued.id,
    credential: issued.credential,
    grant: (requestId) =>
      grantGatewayEscalationRequest(db, admin, { id: requestId }, { consoleKey: served.consoleKey }),
    async connect(credential = issued.credential) {
      const c = new Client({ name: "vitest-agent", version: "1.0.0" });
      await c.connect(
        new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${credential}` } },
        }),
      );
      clients.push(c);
      return c;
    },
    sessionOf() {
      const all = [...gateway.sessions.values()];
      return all[all.length - 1]?.id as string;
    },
    eventsOf: (session) =>
      db
        .select()
        .from(events)
        .where(and(eq(events.tenant, "acme"), eq(events.session, session)))
        .orderBy(asc(events.ts), asc(events.id)),
    async close() {
      for (const c of clients) await c.close().catch(() => {});
      await gateway.close();
      await served.close();
    },
  };
}
