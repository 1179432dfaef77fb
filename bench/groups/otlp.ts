import { createHash } from "node:crypto";
import { SpanKind } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { Database } from "../../db/client";
import { migrateDatabase } from "../../db/migrate";
import { insertApiKey } from "../../lib/data/api-keys";
import { uuidv7 } from "../../lib/ids";
import { handleIngest } from "../../lib/ingest/handler";
import { handleOtlpTraces } from "../../lib/otlp/handler";
import { onScratchPglite } from "../databases";
import type { BenchGroup, BenchResult } from "../harness";
import { serveHandler } from "../http-server";

// Issue 13: OTLP ingest (spans decoded, mapped to observed events, checked once per span,
// hash-chained) against the same tool calls sent as v1 events to /api/v1/events, same run,
// rounds interleaved. Both go through HTTP on one server; target: OTLP >= 0.7 of /api/v1/events.

const GROUP = "otlp";
const BATCH = 500;
const BATCHES_PER_ROUND = 6;
const ROUNDS = 5;
const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

const hex = (s: string) => createHash("sha256").update(s).digest("hex");

/** Call i as a v1 event, as a capability-enforcing platform would send it. */
function v1Event(i: number): Record<string, unknown> {
  const capId = hex(`cap-${Math.floor(i / 4)}`);
  return {
    id: uuidv7(),
    ts: new Date(T0 + i * 37).toISOString(),
    tenant: "bench",
    type: "tool.call",
    principal: `user${i % 10}@bench.example`,
    agent: `user${i % 10}-assistant/research`,
    session: `sess_${i % 50}`,
    request: `req_${Math.floor(i / 8)}`,
    traceId: hex(`trace-${i}`).slice(0, 32),
    spanId: hex(`span-${i}`).slice(0, 16),
    tool: i % 3 ? "crm.lookup_customer" : "db.query",
    outcome: i % 17 ? "allowed" : "denied",
    reason: i % 17 ? undefined : "resource Customer#c_9 is not Customer#c_381 (check in block 2)",
    capability: { id: capId, hash: `sha256:${hex(`h-${capId}`)}`, depth: 0, kind: "minted" },
    latencyMs: 12,
    meta: { bench: true },
  };
}

/** The same calls as GenAI execute_tool spans, finished by the real OpenTelemetry SDK. */
async function spans(from: number, count: number): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "bench-agents" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("bench", "1.0.0");
  for (let i = from; i < from + count; i++) {
    const capId = hex(`cap-${Math.floor(i / 4)}`);
    const span = tracer.startSpan(`execute_tool ${i % 3 ? "crm.lookup_customer" : "db.query"}`, {
      kind: SpanKind.INTERNAL,
      startTime: new Date(T0 + i * 37),
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": i % 3 ? "crm.lookup_customer" : "db.query",
        "gen_ai.tool.call.id": `call_${i}`,
        "gen_ai.agent.id": `user${i % 10}-assistant/research`,
        "gen_ai.conversation.id": `sess_${i % 50}`,
        "user.id": `user${i % 10}@bench.example`,
        "capcon.capability.id": capId,
        "capcon.capability.hash": `sha256:${hex(`h-${capId}`)}`,
        "capcon.decision": i % 17 ? "allowed" : "denied",
        ...(i % 17
          ? {}
          : { "capcon.decision.reason": "resource Customer#c_9 is not Customer#c_381 (check in block 2)" }),
      },
    });
    span.end(new Date(T0 + i * 37 + 12));
  }
  await provider.forceFlush();
  const out = exporter.getFinishedSpans();
  await provider.shutdown();
  return out;
}

// Both receivers behind one port, as in the console.
const serve = (database: Database) =>
  serveHandler((request) =>
    new URL(request.url).pathname.startsWith("/api/v1/otlp")
      ? handleOtlpTraces(database.db, request)
      : handleIngest(database.db, request),
  );

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

async function measure(database: Database, progress: (s: string) => void) {
  await migrateDatabase(database);
  const { key } = await insertApiKey(database.db, { tenant: "bench", source: "bench", createdBy: "bench" });
  const server = await serve(database);
  let n = 0;
  const post = async (path: string, type: string, body: Uint8Array | string) => {
    const res = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": type, authorization: `Bearer ${key}` },
      body: body as BodyInit,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text;
  };
  const v1Round = async () => {
    const bodies = Array.from({ length: BATCHES_PER_ROUND }, () =>
      JSON.stringify({ events: Array.from({ length: BATCH }, () => v1Event(n++)) }),
    );
    const t0 = performance.now();
    for (const body of bodies) {
      const out = JSON.parse(await post("/api/v1/events", "application/json", body)) as { accepted: number };
      if (out.accepted !== BATCH) throw new Error(`ingest stored ${out.accepted} of ${BATCH}`);
    }
    return (BATCH * BATCHES_PER_ROUND) / ((performance.now() - t0) / 1000);
  };
  const otlpRound = async (encoding: "protobuf" | "json") => {
    const bodies: Uint8Array[] = [];
    for (let b = 0; b < BATCHES_PER_ROUND; b++) {
      const batch = await spans(n, BATCH);
      n += BATCH;
      const serializer = encoding === "protobuf" ? ProtobufTraceSerializer : JsonTraceSerializer;
      bodies.push(serializer.serializeRequest(batch) as Uint8Array);
    }
    const type = encoding === "protobuf" ? "application/x-protobuf" : "application/json";
    const t0 = performance.now();
    for (const body of bodies) {
      const out = await post("/api/v1/otlp/v1/traces", type, body);
      if (encoding === "json" && out !== "{}") throw new Error(`OTLP partial success: ${out.slice(0, 300)}`);
    }
    return (BATCH * BATCHES_PER_ROUND) / ((performance.now() - t0) / 1000);
  };
  try {
    await v1Round(); // warm-up: JIT, statement plans
    await otlpRound("protobuf");
    await otlpRound("json");
    const v1: number[] = [];
    const proto: number[] = [];
    const json: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      v1.push(await v1Round());
      proto.push(await otlpRound("protobuf"));
      json.push(await otlpRound("json"));
      progress(
        `round ${r}/${ROUNDS}: /api/v1/events ${Math.round(v1.at(-1) ?? 0)} ev/s, OTLP protobuf ${Math.round(proto.at(-1) ?? 0)}, OTLP JSON ${Math.round(json.at(-1) ?? 0)}`,
      );
    }
    return { v1: median(v1), proto: median(proto), json: median(json) };
  } finally {
    server.close();
  }
}

async function run(): Promise<BenchResult[]> {
  const progress = (s: string) => process.stderr.write(`  ${s}\n`);
  const m = await onScratchPglite("cc-bench-otlp", (database) => measure(database, progress));
  const result = (encoding: string, value: number): BenchResult => {
    const ratio = value / m.v1;
    return {
      group: GROUP,
      name: `pglite: OTLP ${encoding} spans/s vs the same calls via /api/v1/events (batches of ${BATCH})`,
      value: Math.round(value),
      unit: "ev/s",
      baseline: Math.round(m.v1),
      ratio: Number(ratio.toFixed(3)),
      target: ">= 0.7",
      pass: ratio >= 0.7,
    };
  };
  return [result("protobuf", m.proto), result("JSON", m.json)];
}

const group: BenchGroup = {
  name: GROUP,
  description: "OTLP trace ingest vs the same tool calls through /api/v1/events",
  run,
};
export default group;
