import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { describe, expect, it } from "vitest";
import { decodeTracesJson } from "@/lib/otlp/json";
import { decodeTracesProtobuf } from "@/lib/otlp/protobuf";
import { OtlpDecodeError } from "@/lib/otlp/types";
import { finishedSpans, SpanKind } from "../../support/otel-spans";

const spec = [
  {
    name: "invoke_agent support-bot",
    attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.id": "support-bot/triage" },
    children: [
      {
        name: "execute_tool crm.lookup_customer",
        kind: SpanKind.INTERNAL,
        attributes: {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "crm.lookup_customer",
          "gen_ai.tool.call.id": "call_1",
          "gen_ai.conversation.id": "conv_9",
          "user.id": "alice@acme.example",
          count: 3,
          big: 2 ** 40,
          ratio: 0.5,
          ok: true,
          tags: ["a", "b"],
        },
        events: [{ name: "gen_ai.execute_tool.exception", attributes: { "exception.type": "Timeout" } }],
        error: "upstream timed out",
      },
    ],
  },
];

describe("OTLP decoding agrees with the OpenTelemetry SDK's own serializers", () => {
  for (const [name, decode] of [
    [
      "protobuf",
      (spans: Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0]) =>
        decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array),
    ],
    [
      "json",
      (spans: Parameters<typeof JsonTraceSerializer.serializeRequest>[0]) =>
        decodeTracesJson(
          JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans) as Uint8Array).toString()),
        ),
    ],
  ] as const) {
    it(`reads every field the console uses (${name})`, async () => {
      const sdk = await finishedSpans(spec);
      const { spans, rejected } = decode(sdk);
      expect(rejected).toEqual([]);
      expect(spans).toHaveLength(2);
      const tool = spans.find((s) => s.name.startsWith("execute_tool"));
      const agent = spans.find((s) => s.name.startsWith("invoke_agent"));
      const sdkTool = sdk.find((s) => s.name.startsWith("execute_tool"));
      expect(tool && agent && sdkTool).toBeTruthy();
      if (!tool || !agent || !sdkTool) return;
      expect(tool.traceId).toBe(sdkTool.spanContext().traceId);
      expect(tool.spanId).toBe(sdkTool.spanContext().spanId);
      expect(tool.parentSpanId).toBe(agent.spanId);
      expect(agent.parentSpanId).toBeNull();
      expect(tool.kind).toBe(1);
      expect(tool.attributes).toEqual({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "crm.lookup_customer",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.conversation.id": "conv_9",
        "user.id": "alice@acme.example",
        count: 3,
        big: 2 ** 40,
        ratio: 0.5,
        ok: true,
        tags: ["a", "b"],
      });
      expect(tool.status).toEqual({ code: 2, message: "upstream timed out" });
      expect(tool.events.map((e) => [e.name, e.attributes])).toEqual([
        ["gen_ai.execute_tool.exception", { "exception.type": "Timeout" }],
      ]);
      const [s, ns] = sdkTool.startTime;
      expect(tool.startNs).toBe(BigInt(s) * 1_000_000_000n + BigInt(ns));
      expect(tool.endNs >= tool.startNs).toBe(true);
      expect(tool.resource["service.name"]).toBe("support-bot");
      expect(tool.scope).toEqual({ name: "otlp-tests", version: "1.0.0" });
    });
  }
});

describe("malformed OTLP", () => {
  it("protobuf: truncated or garbage bytes are a decode error, not a crash", async () => {
    const good = ProtobufTraceSerializer.serializeRequest(await finishedSpans(spec)) as Uint8Array;
    for (let cut = 1; cut < good.length; cut += 7) {
      try {
        decodeTracesProtobuf(good.subarray(0, cut));
      } catch (err) {
        expect(err).toBeInstanceOf(OtlpDecodeError);
      }
    }
    expect(() => decodeTracesProtobuf(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow(OtlpDecodeError);
    expect(() => decodeTracesProtobuf(Uint8Array.from([0x0a, 0x7f]))).toThrow(/runs past/);
  });

  it("json: a span with a bad id is rejected by itself; a body of the wrong shape is a decode error", () => {
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: "00".repeat(16), spanId: "11".repeat(8), name: "zero trace" },
                {
                  traceId: "ab".repeat(16),
                  spanId: "cd".repeat(8),
                  name: "fine",
                  startTimeUnixNano: "1700000000000000000",
                },
                { traceId: "ab".repeat(16), spanId: "cd".repeat(8), startTimeUnixNano: "-1" },
              ],
            },
          ],
        },
      ],
    };
    const { spans, rejected } = decodeTracesJson(body);
    expect(spans.map((s) => s.name)).toEqual(["fine"]);
    expect(rejected).toEqual([
      { at: "resourceSpans[0].scopeSpans[0].spans[0]", reason: expect.stringMatching(/traceId/) },
      { at: "resourceSpans[0].scopeSpans[0].spans[2]", reason: expect.stringMatching(/startTimeUnixNano/) },
    ]);
    expect(() => decodeTracesJson([])).toThrow(OtlpDecodeError);
    expect(() => decodeTracesJson({ resourceSpans: {} })).toThrow(OtlpDecodeError);
    expect(decodeTracesJson({}).spans).toEqual([]);
  });
});
