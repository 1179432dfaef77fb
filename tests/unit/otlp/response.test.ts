import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { describe, expect, it } from "vitest";
import { encodeExportResponse, encodeStatus } from "@/lib/otlp/response";

// The answers must be what an OpenTelemetry exporter reads back: decoded here with the SDK's own
// deserializers (the ones OTLPTraceExporter uses to log a partial success).
describe("OTLP/HTTP answers", () => {
  const partial = {
    rejectedSpans: 300,
    errorMessage: "2 span(s) rejected: spans[1]: spanId must be 8 bytes",
  };

  it("encodes partialSuccess as the SDK decodes it, in protobuf and JSON", () => {
    const proto = encodeExportResponse("protobuf", partial) as Uint8Array;
    const decoded = ProtobufTraceSerializer.deserializeResponse(proto) as {
      partialSuccess?: { rejectedSpans?: unknown; errorMessage?: string };
    };
    expect(Number(decoded.partialSuccess?.rejectedSpans)).toBe(300);
    expect(decoded.partialSuccess?.errorMessage).toBe(partial.errorMessage);
    const json = encodeExportResponse("json", partial) as string;
    const fromJson = JsonTraceSerializer.deserializeResponse(new TextEncoder().encode(json)) as {
      partialSuccess?: { rejectedSpans?: unknown; errorMessage?: string };
    };
    expect(Number(fromJson.partialSuccess?.rejectedSpans)).toBe(300);
    expect(fromJson.partialSuccess?.errorMessage).toBe(partial.errorMessage);
  });

  it("answers a full success with an empty message", () => {
    expect((encodeExportResponse("protobuf", null) as Uint8Array).byteLength).toBe(0);
    expect(encodeExportResponse("json", null)).toBe("{}");
    expect(ProtobufTraceSerializer.deserializeResponse(new Uint8Array())).toMatchObject({});
  });

  it("encodes a google.rpc.Status with the gRPC code of the HTTP status", () => {
    // code = 3 (INVALID_ARGUMENT), message = "bad": 08 03 12 03 'b' 'a' 'd'
    expect([...(encodeStatus("protobuf", 400, "bad") as Uint8Array)]).toEqual([8, 3, 18, 3, 98, 97, 100]);
    expect(JSON.parse(encodeStatus("json", 413, "too big") as string)).toEqual({
      code: 8,
      message: "too big",
      details: [],
      error: "too big",
    });
  });
});
