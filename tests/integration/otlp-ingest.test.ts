import { gzipSync } from "node:zlib";
import { type Attributes, context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { and, asc, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { chainHeads, events } from "@/db/schema";
import { verifyTenantChain } from "@/lib/audit/verify";
import { createRateLimiter } from "@/lib/ingest/rate-limit";
import { handleOtlpTraces } from "@/lib/otlp/handler";
import { backends } from "../support/db";
import { addTenants } from "../support/fixtures";
import { newKey, verifyKeys } from "../support/ingest-fixtures";
import { type OtlpTestServer, startOtlpServer } from "../support/otlp-server";

type Exporter = JsonExporter | ProtoExporter;

/** One agent run in GenAI conventions: 3 tool calls (2 under a capability), a denying guardrail, a model call. */
async function runAgent(exporter: Exporter, opts: { batch?: boolean; user: string; conv: string }) {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": "support-bot" }),
    spanProcessors: [opts.batch ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("agent-under-test", "1.0.0");
  const common: Attributes = {
    "gen_ai.conversation.id": opts.conv,
    "user.id": opts.user,
    "gen_ai.agent.id": "support-bot/triage",
  };
  const root = tracer.startSpan("invoke_agent triage", {
    attributes: { ...common, "gen_ai.operation.name": "invoke_agent" },
  });
  const ctx = trace.setSpan(context.active(), root);
  const tool = (name: string, extra: Attributes, error?: string) => {
    const s = tracer.startSpan(
      `execute_tool ${name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          ...common,
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": name,
          ...extra,
        },
      },
      ctx,
    );
    if (error) s.setStatus({ code: SpanStatusCode.ERROR, message: error });
    s.end();
    return s.spanContext().spanId;
  };
  const ids = {
    covered: tool("crm.lookup_customer", {
      "gen_ai.tool.call.id": "call_1",
      "capcon.capability.id": "cap-child-1",
      "capcon.capability.parent_id": "cap-root-1",
      "capcon.decision": "allowed",
    }),
    denied: tool("crm.update_order", {
      "gen_ai.tool.call.id": "call_2",
      "capcon.capability.id": "cap-child-2",
      "capcon.decision": "denied",
      "capcon.decision.reason": "no right grants write on Order",
    }),
    uncovered: tool("crm.export", { "gen_ai.tool.call.id": "call_3" }, "export failed"),
  };
  const guard = tracer.startSpan(
    "apply_guardrail pii",
    {
      attributes: {
        ...common,
        "gen_ai.operation.name": "apply_guardrail",
        "gen_ai.security.decision.type": "deny",
      },
    },
    ctx,
  );
  guard.end();
  tracer.startSpan("chat gpt-5", { attributes: { "gen_ai.operation.name": "chat" } }, ctx).end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: root.spanContext().traceId, ...ids };
}

describe.each(backends)("OTLP ingest on $name", (backend) => {
  let database: Database;
  let server: OtlpTestServer;
  let acmeKey: string;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    acmeKey = await newKey(database.db, "acme", "otel-collector");
    server = await startOtlpServer(database);
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  const observedRows = (traceId: string) =>
    database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.traceId, traceId)))
      .orderBy(asc(events.seq));
  const head = async () =>
    (
      await database.db.select({ seq: chainHeads.seq }).from(chainHeads).where(eq(chainHeads.tenant, "acme"))
    )[0]?.seq ?? 0;
  const total = async () => (await database.db.select({ n: count() }).from(events))[0]?.n ?? 0;
  const post = (path: string, body: BodyInit, headers: Record<string, string>) =>
    fetch(`${server.base}${path}`, { method: "POST", body, headers });

  /** Re-sends one recorded export as the exporter sent it: twice in a row, then twice at once. */
  async function replay(index: number) {
    const r = server.recorded[index];
    if (!r) throw new Error("nothing recorded");
    const headers = { ...r.headers };
    delete headers["content-length"];
    delete headers.host;
    delete headers.connection;
    delete headers["transfer-encoding"];
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await post(r.path, new Uint8Array(r.body), headers)).status);
    const both = await Promise.all([0, 1].map(() => post(r.path, new Uint8Array(r.body), headers)));
    statuses.push(...both.map((x) => x.status));
    return statuses;
  }

  async function expectRun(run: Awaited<ReturnType<typeof runAgent>>, user: string) {
    const rows = await observedRows(run.traceId);
    // invoke_agent, 3 tool calls, the guardrail; the model call is of no dialect and not stored.
    expect(rows.map((r) => r.type).sort()).toEqual(
      ["agent.invoked", "guardrail.checked", "tool.call", "tool.call", "tool.call"].sort(),
    );
    expect(
      rows.every((r) => r.tier === "observed" && r.request === run.traceId && r.principal === user),
    ).toBe(true);
    const bySpan = new Map(rows.map((r) => [r.spanId, r]));
    expect(bySpan.get(run.covered)).toMatchObject({
      tool: "crm.lookup_customer",
      outcome: "allowed",
      capabilityId: "cap-child-1",
      agent: "support-bot/triage",
    });
    expect(bySpan.get(run.covered)?.meta).toMatchObject({
      capabilityParentId: "cap-root-1",
      dialect: "genai",
      toolCallId: "call_1",
    });
    expect(bySpan.get(run.denied)).toMatchObject({
      outcome: "denied",
      reason: "no right grants write on Order",
    });
    expect(bySpan.get(run.uncovered)).toMatchObject({
      tool: "crm.export",
      capabilityId: null,
      outcome: "error",
      reason: "export failed",
    });
    expect(rows.find((r) => r.type === "guardrail.checked")?.outcome).toBe("denied");
    return rows;
  }

  it("takes a JSON exporter's spans at /v1/traces, each once however often the export is repeated", async () => {
    const from = server.recorded.length;
    const run = await runAgent(
      new JsonExporter({
        url: `${server.base}/api/v1/otlp/v1/traces`,
        headers: { authorization: `Bearer ${acmeKey}` },
      }),
      { user: "alice@acme.example", conv: "conv-json" },
    );
    expect(server.recorded.slice(from).map((r) => [r.path, r.status, r.headers["content-type"]])).toEqual([
      ["/api/v1/otlp/v1/traces", 200, "application/json"],
      ["/api/v1/otlp/v1/traces", 200, "application/json"],
      ["/api/v1/otlp/v1/traces", 200, "application/json"],
      ["/api/v1/otlp/v1/traces", 200, "application/json"],
      ["/api/v1/otlp/v1/traces", 200, "application/json"],
      ["/api/v1/otlp/v1/traces", 200, "application/json"],
    ]);
    const first = await expectRun(run, "alice@acme.example");
    const seq = await head();
    const n = await total();
    // Every recorded export again: twice in sequence, twice concurrently.
    for (let i = from; i < from + 6; i++) expect(await replay(i)).toEqual([200, 200, 200, 200]);
    expect(await total()).toBe(n);
    expect(await head()).toBe(seq);
    expect((await observedRows(run.traceId)).map((r) => r.seq)).toEqual(first.map((r) => r.seq));
    const v = await verifyTenantChain(database.db, { tenant: "acme", keys: verifyKeys });
    expect(v).toMatchObject({ ok: true, firstBrokenSeq: null });
  });

  it("takes a gzipped protobuf export at the bare path and through OTEL_EXPORTER_OTLP_ENDPOINT", async () => {
    const from = server.recorded.length;
    const bare = await runAgent(
      new ProtoExporter({
        url: `${server.base}/api/v1/otlp`,
        headers: { authorization: `Bearer ${acmeKey}` },
        compression: "gzip" as never,
      }),
      { batch: true, user: "bob@acme.example", conv: "conv-proto" },
    );
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `${server.base}/api/v1/otlp`;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = `authorization=Bearer ${acmeKey}`;
    let viaEnv: Awaited<ReturnType<typeof runAgent>>;
    try {
      viaEnv = await runAgent(new ProtoExporter(), {
        batch: true,
        user: "carol@acme.example",
        conv: "conv-env",
      });
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    }
    const sent = server.recorded.slice(from);
    expect(sent.map((r) => [r.path, r.status, r.headers["content-type"]])).toEqual([
      ["/api/v1/otlp", 200, "application/x-protobuf"],
      ["/api/v1/otlp/v1/traces", 200, "application/x-protobuf"],
    ]);
    expect(sent[0]?.headers["content-encoding"]).toBe("gzip");
    await expectRun(bare, "bob@acme.example");
    await expectRun(viaEnv, "carol@acme.example");
    const n = await total();
    const seq = await head();
    expect(await replay(from)).toEqual([200, 200, 200, 200]);
    expect(await replay(from + 1)).toEqual([200, 200, 200, 200]);
    expect(await total()).toBe(n);
    expect(await head()).toBe(seq);
    expect(await verifyTenantChain(database.db, { tenant: "acme", keys: verifyKeys })).toMatchObject({
      ok: true,
    });
  });

  const span = (spanId: string, extra: Record<string, unknown> = {}) => ({
    traceId: "5bf92f3577b34da6a3ce929d0e0e4736",
    spanId,
    name: "execute_tool crm.lookup",
    kind: 1,
    startTimeUnixNano: "1795689000000000000",
    endTimeUnixNano: "1795689000500000000",
    attributes: [
      { key: "gen_ai.operation.name", value: { stringValue: "execute_tool" } },
      { key: "gen_ai.tool.name", value: { stringValue: "crm.lookup" } },
    ],
    ...extra,
  });
  const otlpJson = (spans: unknown[]) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
  const json = { "content-type": "application/json" };

  it("answers partialSuccess naming the spans it rejected, and stores the rest", async () => {
    const res = await post(
      "/api/v1/otlp/v1/traces",
      otlpJson([
        span("b000000000000001"),
        span("0000000000000000"),
        span("b000000000000002", {
          name: "execute_tool \u202eevil",
          attributes: [
            { key: "gen_ai.operation.name", value: { stringValue: "execute_tool" } },
            { key: "gen_ai.tool.name", value: { stringValue: "crm.\u202etxt" } },
          ],
        }),
      ]),
      { ...json, authorization: `Bearer ${acmeKey}` },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe("2");
    expect(body.partialSuccess.errorMessage).toContain("spans[1]: spanId must be 8 bytes");
    expect(body.partialSuccess.errorMessage).toContain("span b000000000000002");
    const rows = await observedRows("5bf92f3577b34da6a3ce929d0e0e4736");
    expect(rows.map((r) => r.spanId)).toEqual(["b000000000000001"]);
  });

  it("answers a clean export with an empty ExportTraceServiceResponse in the request's encoding", async () => {
    const res = await post("/api/v1/otlp/v1/traces", otlpJson([span("c000000000000001")]), {
      ...json,
      authorization: `Bearer ${acmeKey}`,
    });
    expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([
      200,
      "application/json",
      "{}",
    ]);
    const proto = await post("/api/v1/otlp", new Uint8Array(), {
      "content-type": "application/x-protobuf",
      authorization: `Bearer ${acmeKey}`,
    });
    expect([proto.status, proto.headers.get("content-type"), (await proto.arrayBuffer()).byteLength]).toEqual(
      [200, "application/x-protobuf", 0],
    );
  });

  it("answers 429 with Retry-After past the key's rate, and 503 with Retry-After when storing fails", async () => {
    const limiter = createRateLimiter({ burst: 1, perSecond: 0.5 });
    const req = (spanId: string, type = "application/x-protobuf") =>
      new Request("http://console.test/api/v1/otlp/v1/traces", {
        method: "POST",
        headers: { "content-type": type, authorization: `Bearer ${acmeKey}` },
        body: type === "application/json" ? otlpJson([span(spanId)]) : new Uint8Array(),
      });
    expect((await handleOtlpTraces(database.db, req("e000000000000001"), { limiter })).status).toBe(200);
    const limited = await handleOtlpTraces(database.db, req("e000000000000002"), { limiter });
    expect([limited.status, limited.headers.get("retry-after"), limited.headers.get("content-type")]).toEqual(
      [429, "2", "application/x-protobuf"],
    );
    const before = await total();
    const seq = await head();
    const failed = await handleOtlpTraces(database.db, req("e000000000000003", "application/json"), {
      beforeCommit: async () => {
        throw new Error("disk full");
      },
      log: () => {},
    });
    expect([failed.status, failed.headers.get("retry-after")]).toEqual([503, "1"]);
    expect(((await failed.json()) as { message: string }).message).not.toContain("disk full");
    expect(await total()).toBe(before);
    expect(await head()).toBe(seq);
  });

  describe("refuses, per the OTLP/HTTP specification, with nothing stored", () => {
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20));
    const cases: [string, () => Record<string, string>, BodyInit, number][] = [
      ["no key", () => json, otlpJson([span("d000000000000001")]), 401],
      [
        "an unknown key",
        () => ({ ...json, authorization: "Bearer cc_live_nottherealkey" }),
        otlpJson([span("d000000000000002")]),
        401,
      ],
      [
        "a wrong content type",
        () => ({ "content-type": "text/plain", authorization: `Bearer ${acmeKey}` }),
        otlpJson([span("d000000000000003")]),
        415,
      ],
      [
        "an unknown content encoding",
        () => ({ ...json, "content-encoding": "br", authorization: `Bearer ${acmeKey}` }),
        otlpJson([span("d000000000000004")]),
        415,
      ],
      ["malformed JSON", () => ({ ...json, authorization: `Bearer ${acmeKey}` }), '{"resourceSpans": [', 400],
      [
        "JSON that is not a trace export",
        () => ({ ...json, authorization: `Bearer ${acmeKey}` }),
        '{"resourceSpans": 7}',
        400,
      ],
      [
        "malformed protobuf",
        () => ({ "content-type": "application/x-protobuf", authorization: `Bearer ${acmeKey}` }),
        new Uint8Array([0x0a, 0xff, 0xff, 0x01, 0x02]),
        400,
      ],
      [
        "broken gzip",
        () => ({ ...json, "content-encoding": "gzip", authorization: `Bearer ${acmeKey}` }),
        new Uint8Array([0x1f, 0x8b, 1, 2, 3]),
        400,
      ],
      [
        "an oversized body",
        () => ({ ...json, authorization: `Bearer ${acmeKey}` }),
        " ".repeat(5 * 1024 * 1024),
        413,
      ],
      [
        "a gzip bomb",
        () => ({ ...json, "content-encoding": "gzip", authorization: `Bearer ${acmeKey}` }),
        new Uint8Array(bomb),
        413,
      ],
    ];
    it.each(cases)("%s", async (_name, headers, body, status) => {
      const before = await total();
      const seq = await head();
      const res = await post("/api/v1/otlp/v1/traces", body, headers());
      expect(res.status).toBe(status);
      const type = res.headers.get("content-type");
      if (type === "application/x-protobuf") {
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect(bytes[0]).toBe(0x08); // google.rpc.Status.code
        expect(Buffer.from(bytes).toString()).toMatch(/not an OTLP|protobuf/);
      } else {
        expect(type).toBe("application/json");
        const status_ = (await res.json()) as { code: number; message: string };
        expect(status_.message.length).toBeGreaterThan(5);
        expect(status_.code).toBeGreaterThan(0);
      }
      if (status === 401) expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(await total()).toBe(before);
      expect(await head()).toBe(seq);
    });
  });
});
