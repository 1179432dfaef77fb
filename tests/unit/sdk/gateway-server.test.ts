// The gateway against a small in-test fake of the console (config document, escalation requests,
// events checked with the real ingest schema, an empty key list, a revocation feed we append to)
// and the real @modelcontextprotocol/server-filesystem over stdio. The real console routes are
// exercised in tests/integration/gateway-proxy-*.test.ts.
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestClock, generateIssuerKey } from "@capability-console/sdk/capability";
import { parseGatewayConfig, type RunningGateway, startGateway } from "@capability-console/sdk/gateway";
import {
  type GatewayConfigResponse,
  type GatewayEscalationRequest,
  ingestRequestSchema,
  type RevocationFeedEntry,
} from "@capability-console/sdk/schema";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const FS_SERVER = require.resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
const CRASH_SERVER = path.resolve(import.meta.dirname, "../../fixtures/mcp-crash-server.mjs");
const credential = `gwc_${"A".repeat(43)}`;
const clientId = randomUUID();

interface Fake {
  url: string;
  doc: GatewayConfigResponse;
  events: Record<string, unknown>[];
  requests: GatewayEscalationRequest[];
  revocations: RevocationFeedEntry[];
  close(): void;
}

async function fakeConsole(): Promise<Fake> {
  const fake = {
    doc: {
      tenant: "acme",
      version: "v1",
      clients: [
        {
          id: clientId,
          name: "support bot",
          principal: "alice@acme.example",
          agent: "support-bot",
          groups: ["support"],
          credentialSha256: createHash("sha256").update(credential).digest("hex"),
          revoked: false,
        },
      ],
      rules: [
        {
          id: randomUUID(),
          subject: { kind: "agent", value: "support-bot" },
          tool: "fs.read_*",
          arguments: [],
          note: "",
        },
        {
          id: randomUUID(),
          subject: { kind: "group", value: "support" },
          tool: "crashy.*",
          arguments: [],
          note: "",
        },
      ],
    } as GatewayConfigResponse,
    events: [] as Record<string, unknown>[],
    requests: [] as GatewayEscalationRequest[],
    revocations: [] as RevocationFeedEntry[],
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(value));
    };
    if (req.headers.authorization !== "Bearer cc_fake") return json(401, { error: "no" });
    if (url.pathname === "/api/v1/gateway/config") {
      const etag = `"${fake.doc.version}"`;
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304);
        return res.end();
      }
      return json(200, fake.doc, { etag });
    }
    if (url.pathname === "/api/v1/gateway/escalation-requests" && req.method === "POST") {
      fake.requests.push(body);
      return json(201, { id: randomUUID(), status: "requested", escalation: null });
    }
    if (url.pathname === "/api/v1/events") {
      const parsed = ingestRequestSchema.safeParse(body);
      if (!parsed.success) return json(400, { error: JSON.stringify(parsed.error.issues[0]) });
      fake.events.push(...body.events);
      return json(200, {
        accepted: body.events.length,
        duplicates: 0,
        conflicts: 0,
        results: body.events.map((e: { id: string }) => ({ id: e.id, status: "created" })),
      });
    }
    if (url.pathname === "/api/v1/keys") return json(200, { keys: [] });
    if (url.pathname === "/api/v1/revocations") {
      if (url.searchParams.get("stream") === "1") return json(404, { error: "no stream here" });
      const since = Number(url.searchParams.get("since") ?? 0);
      const page = fake.revocations.filter((r) => r.cursor > since);
      return json(200, { revocations: page, next: Math.max(since, ...page.map((r) => r.cursor)) });
    }
    if (url.pathname === "/api/v1/escalations") return json(200, { escalations: [] });
    json(404, { error: "not found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  // The same object the server reads, so a test can change the document or the feed.
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  });
}

/** A Streamable HTTP MCP server with one `echo` tool that records the Authorization it is sent. */
async function httpUpstream() {
  const authorizations: string[] = [];
  const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const server = http.createServer(async (req, res) => {
    authorizations.push(String(req.headers.authorization));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    let transport = transports.get(String(req.headers["mcp-session-id"]));
    if (!transport) {
      const t = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableJsonResponse: true,
        onsessioninitialized: (id) => void transports.set(id, t),
      });
      const mcp = new Server({ name: "web", version: "1.0.0" }, { capabilities: { tools: {} } });
      mcp.setRequestHandler(ListToolsRequestSchema, () => ({
        tools: [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }],
      }));
      mcp.setRequestHandler(CallToolRequestSchema, (r) => ({
        content: [{ type: "text", text: String(r.params.arguments?.text ?? "") }],
      }));
      await mcp.connect(t);
      transport = t;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const response = await transport.handleRequest(
      new Request("http://web/mcp", { method: req.method, headers }),
      {
        parsedBody: body,
      },
    );
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => {
      out[k] = v;
    });
    res.writeHead(response.status, out);
    // The GET event stream is not needed here: end it at once.
    res.end(
      out["content-type"]?.includes("text/event-stream")
        ? undefined
        : Buffer.from(await response.arrayBuffer()),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe("gateway with a fake console and server-filesystem", () => {
  let upstreamHttp: Awaited<ReturnType<typeof httpUpstream>>;
  let fake: Fake;
  let gateway: RunningGateway;
  let dir: string;
  let agent: Client;
  let config: ReturnType<typeof parseGatewayConfig>;

  const connect = async (bearer = credential) => {
    const client = new Client({ name: "test-agent", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${bearer}` } },
      }),
    );
    return client;
  };
  const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text ?? "";

  beforeAll(async () => {
    upstreamHttp = await httpUpstream();
    fake = await fakeConsole();
    dir = await mkdtemp(path.join(tmpdir(), "gw-fs-"));
    await writeFile(path.join(dir, "hello.txt"), "hello from the upstream");
    config = parseGatewayConfig({
      consoleUrl: fake.url,
      apiKey: "cc_fake",
      port: 0,
      digestKey: "unit-test-digest-key",
      maxArgumentBytes: 4096,
      configPollMs: 100,
      revocationPollMs: 100,
      upstreams: {
        fs: {
          command: process.execPath,
          args: [FS_SERVER, dir],
          tools: {
            read_text_file: { resourceType: "File", resourceArgument: "path", action: "read" },
            read_file: { resourceType: "File", resourceArgument: "path", action: "read" },
            write_file: { resourceType: "File", resourceArgument: "path", action: "write" },
          },
        },
        crashy: { command: process.execPath, args: [CRASH_SERVER] },
        web: { url: `${upstreamHttp.url}/mcp`, headers: { authorization: "Bearer upstream-secret" } },
      },
    });
    gateway = await startGateway({ config, issuer: await generateIssuerKey("gw-unit"), log: () => {} });
    agent = await connect();
  }, 60_000);

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    fake?.close();
    upstreamHttp?.close();
  });

  it("calls a Streamable HTTP upstream with its own credential, never the agent's", async () => {
    fake.doc = {
      ...fake.doc,
      version: "v-web",
      rules: [
        ...fake.doc.rules,
        { id: randomUUID(), subject: { kind: "any" }, tool: "web.*", arguments: [], note: "" },
      ],
    };
    await new Promise((r) => setTimeout(r, 400));
    const r = await agent.callTool({ name: "web.echo", arguments: { text: "over http" } });
    expect(text(r)).toBe("over http");
    expect(upstreamHttp.authorizations.length).toBeGreaterThan(0);
    expect(new Set(upstreamHttp.authorizations)).toEqual(new Set(["Bearer upstream-secret"]));
    expect(upstreamHttp.authorizations.join(" ")).not.toContain("gwc_");
  });

  it("answers 401 with WWW-Authenticate and serves protected-resource metadata", async () => {
    const res = await fetch(`${gateway.url}/mcp`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${gateway.url}/.well-known/oauth-protected-resource"`,
    );
    const wrong = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer gwc_${"B".repeat(43)}` },
      body: "{}",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const meta = await (await fetch(`${gateway.url}/.well-known/oauth-protected-resource`)).json();
    expect(meta).toMatchObject({ resource: `${gateway.url}/mcp`, bearer_methods_supported: ["header"] });
  });

  it("lists only tools the rules allow, and reads through the upstream", async () => {
    const { tools } = await agent.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toContain("fs.read_text_file");
    expect(
      names.every((n) => n.startsWith("fs.read_") || n.startsWith("crashy.") || n.startsWith("web.")),
    ).toBe(true);
    expect(names).toContain("crashy.echo");
    const r = await agent.callTool({
      name: "fs.read_text_file",
      arguments: { path: path.join(dir, "hello.txt") },
    });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toBe("hello from the upstream");
  });

  it("refuses a write naming the missing right, with an escalation request", async () => {
    const target = path.join(dir, "new.txt");
    const r = await agent.callTool({ name: "fs.write_file", arguments: { path: target, content: "x" } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(
      new RegExp(
        `^refused: no rule allows fs.write_file \\(write on File ${target}\\) for agent support-bot .*escalation request [0-9a-f-]{36}: ask an admin`,
      ),
    );
    expect(r._meta?.["capconsole/escalationRequest"]).toMatch(/^[0-9a-f-]{36}$/);
    const req = fake.requests.at(-1);
    expect(req).toMatchObject({
      client: clientId,
      agent: "support-bot",
      operation: { tool: "fs.write_file", resourceType: "File", resourceId: target, action: "write" },
    });
    await expect(readFile(target)).rejects.toThrow();
  });

  const agentSession = () => (agent.transport as StreamableHTTPClientTransport).sessionId as string;
  /** A raw JSON-RPC POST on the agent's MCP session, as its client sends it (headers overridable). */
  const postOnSession = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${credential}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": agentSession(),
        "mcp-protocol-version": "2025-06-18",
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it("unknown tools and oversized arguments get clear MCP errors; malformed JSON a parse error", async () => {
    await expect(agent.callTool({ name: "fs.nope", arguments: {} })).rejects.toThrow(
      /unknown tool "fs.nope"/,
    );
    await expect(
      agent.callTool({ name: "fs.read_text_file", arguments: { path: "x".repeat(5000) } }),
    ).rejects.toThrow(/are \d+ bytes; this gateway accepts at most 4096/);
    const res = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${credential}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe(-32700);
    // JSON, but not JSON-RPC; and a tools/call without params: errors, not a 500.
    const notRpc = await postOnSession({ hello: "world" });
    expect(notRpc.status).toBe(400);
    expect((await notRpc.json()).error.code).toBeLessThan(-32000);
    const noParams = await postOnSession({ jsonrpc: "2.0", id: 99, method: "tools/call" });
    expect(noParams.status).toBeLessThan(500);
    expect(await noParams.json()).toMatchObject({
      id: 99,
      error: {
        code: -32602,
        message: "tools/call needs params.name: the tool to call (tools/list shows them)",
      },
    });
    const badArgs = await postOnSession({
      jsonrpc: "2.0",
      id: 100,
      method: "tools/call",
      params: { name: "fs.read_text_file", arguments: [1] },
    });
    expect(await badArgs.json()).toMatchObject({
      id: 100,
      error: { code: -32602, message: "tools/call params.arguments must be an object" },
    });
  });

  it("answers a single tools/call itself exactly as the SDK transport answers it in a batch", async () => {
    const sessionId = agentSession();
    const call = (id: number | string, name: string, args: Record<string, unknown>) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name, arguments: args },
    });
    const file = path.join(dir, "hello.txt");
    // The same calls, alone (the gateway's own path) and as a one-item batch (the SDK's).
    for (const [name, args] of [
      ["fs.read_text_file", { path: file }],
      ["fs.nope", {}],
      ["fs.write_file", { path: path.join(dir, "w.txt"), content: "x" }],
    ] as const) {
      const alone = await postOnSession(call("a-1", name, args));
      expect(alone.status).toBe(200);
      expect(alone.headers.get("content-type")).toBe("application/json");
      expect(alone.headers.get("mcp-session-id")).toBe(sessionId);
      const batch = await postOnSession([call("a-1", name, args)]);
      expect(batch.status).toBe(200);
      const one = await alone.json();
      // (The SDK answers a one-item batch with the bare response.)
      const answered = await batch.json();
      const inBatch = Array.isArray(answered) ? answered[0] : answered;
      // Escalation request ids and the like differ per call; the shape and the words do not.
      const scrub = (v: unknown) => JSON.parse(JSON.stringify(v).replace(/[0-9a-f-]{36}/g, "<id>"));
      expect(scrub(one)).toEqual(scrub(inBatch));
    }
    // What the transport refuses is still refused: Accept without the event stream, a JSON body
    // sent as text, an unsupported protocol version, a non-integer id, another session's id.
    const read = call(7, "fs.read_text_file", { path: file });
    expect((await postOnSession(read, { accept: "application/json" })).status).toBe(406);
    expect((await postOnSession(read, { "content-type": "text/plain; x=application/json" })).status).toBe(
      415,
    );
    expect((await postOnSession(read, { "mcp-protocol-version": "1999-01-01" })).status).toBe(400);
    expect((await postOnSession({ ...read, id: 1.5 })).status).toBe(400);
    expect((await postOnSession(read, { "mcp-session-id": randomUUID() })).status).toBe(404);
  });

  it("events carry the lineage and pass the ingest schema", async () => {
    await gateway.flushEvents();
    const types = fake.events.map((e) => `${e.type}/${e.outcome}`);
    expect(types).toContain("capability.minted/allowed");
    expect(types).toContain("capability.attenuated/allowed");
    expect(types).toContain("tool.call/denied");
    const read = fake.events.find(
      (e) => e.type === "tool.call" && e.tool === "fs.read_text_file" && e.outcome === "allowed",
    ) as {
      capability: { parentId: string; rootId: string; depth: number };
      meta: { gateway: { decision: string; client: string } };
      inputDigest: string;
    };
    const root = fake.events.find((e) => e.type === "capability.minted") as { capability: { id: string } };
    expect(read.capability.depth).toBe(1);
    expect(read.capability.parentId).toBe(root.capability.id);
    expect(read.meta.gateway).toMatchObject({ decision: "allowed", client: clientId, upstream: "fs" });
    expect(read.inputDigest).toMatch(/^hmac-sha256:/);
  });

  it("a call decided by a held narrowing is recorded with it, even once past half its TTL", async () => {
    // Its own gateway on a test clock: the narrowing is signed after the answer, when the event
    // is built, by which time the held narrowing that decided may no longer be reusable.
    const clock = createTestClock(Date.now());
    const own = await startGateway({
      config,
      issuer: await generateIssuerKey("gw-held"),
      clock,
      log: () => {},
    });
    const a = new Client({ name: "held-agent", version: "1.0.0" });
    await a.connect(
      new StreamableHTTPClientTransport(new URL(`${own.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${credential}` } },
      }),
    );
    try {
      const call = { name: "fs.read_text_file", arguments: { path: path.join(dir, "hello.txt") } };
      expect((await a.callTool(call)).isError).toBeFalsy();
      await own.flushEvents();
      clock.advance(14_000); // callTtlSeconds is 30: still held, more than half left
      expect((await a.callTool(call)).isError).toBeFalsy();
      clock.advance(2_000); // past half now, before the second call's event is built
      await own.flushEvents();
      const session = [...own.sessions.values()][0]?.id;
      const mine = fake.events.filter((e) => e.session === session) as Array<{
        type: string;
        tool?: string;
        capability: { id: string };
      }>;
      const calls = mine.filter((e) => e.type === "tool.call" && e.tool === "fs.read_text_file");
      expect(calls).toHaveLength(2);
      expect(calls[1]?.capability.id).toBe(calls[0]?.capability.id);
      expect(mine.filter((e) => e.type === "capability.attenuated")).toHaveLength(1);
    } finally {
      await a.close();
      await own.close();
    }
  });

  it("a rule change applies on the next call; a session revocation refuses the next call", async () => {
    fake.doc = {
      ...fake.doc,
      version: "v2",
      rules: [
        ...fake.doc.rules,
        {
          id: randomUUID(),
          subject: { kind: "any" },
          tool: "fs.write_file",
          arguments: [{ path: "path", match: `${dir}/pub/**` }],
          note: "",
        },
      ],
    };
    await new Promise((r) => setTimeout(r, 400));
    const names = (await agent.listTools()).tools.map((t) => t.name);
    expect(names).toContain("fs.write_file");
    const session = [...gateway.sessions.values()][0]?.id as string;
    fake.revocations.push({
      cursor: 1,
      kind: "session",
      target: session,
      revokedIds: [],
      reason: "test",
      at: new Date().toISOString(),
    });
    await new Promise((r) => setTimeout(r, 400));
    const r = await agent.callTool({
      name: "fs.read_text_file",
      arguments: { path: path.join(dir, "hello.txt") },
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toBe(`refused: session ${session} is revoked; this session can no longer call tools`);
  });

  it("a crashed upstream is a clear error, recorded, and the next call restarts it", async () => {
    const other = await connect();
    expect(text(await other.callTool({ name: "crashy.echo", arguments: { text: "one" } }))).toBe("one");
    const pid = gateway.upstreams.get("crashy")?.pid;
    const r = await other.callTool({ name: "crashy.crash", arguments: {} });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(
      /^error: upstream crashy failed during crash: .*the gateway restarts the upstream on the next call$/,
    );
    expect(text(await other.callTool({ name: "crashy.echo", arguments: { text: "two" } }))).toBe("two");
    expect(gateway.upstreams.get("crashy")?.pid).not.toBe(pid);
    // A killed stdio child: the same.
    process.kill(gateway.upstreams.get("fs")?.pid as number, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    const again = await other.callTool({
      name: "fs.read_text_file",
      arguments: { path: path.join(dir, "hello.txt") },
    });
    expect(text(again)).toBe("hello from the upstream");
    await gateway.flushEvents();
    const crash = fake.events.find((e) => e.tool === "crashy.crash" && e.type === "tool.call");
    expect(crash).toMatchObject({
      outcome: "error",
      meta: { gateway: { check: "upstream", upstream: "crashy" } },
    });
    await other.close();
  });
});
