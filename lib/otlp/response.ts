// The answers of OTLP/HTTP (opentelemetry-proto, otlp.md "OTLP/HTTP Response"), in the request's
// encoding: an ExportTraceServiceResponse on success, a google.rpc.Status on failure. Hand-encoded
// protobuf: two tiny messages do not justify a protobuf runtime in the request path.

export type OtlpEncoding = "json" | "protobuf";

export const CONTENT_TYPE: Record<OtlpEncoding, string> = {
  json: "application/json",
  protobuf: "application/x-protobuf",
};

// google.rpc.Code values for the HTTP statuses OTLP/HTTP uses.
const GRPC_CODE: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  405: 12, // UNIMPLEMENTED
  413: 8, // RESOURCE_EXHAUSTED
  415: 3,
  429: 8,
  503: 14, // UNAVAILABLE
};

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function lenField(field: number, bytes: Uint8Array | number[]): number[] {
  return [(field << 3) | 2, ...varint(bytes.length), ...bytes];
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** ExportTraceServiceResponse { partial_success = 1 { rejected_spans = 1; error_message = 2 } }. */
export function encodeExportResponse(
  encoding: OtlpEncoding,
  partial: { rejectedSpans: number; errorMessage: string } | null,
): Uint8Array | string {
  if (encoding === "json") {
    // int64 is a decimal string in the protobuf JSON mapping.
    return JSON.stringify(
      partial
        ? {
            partialSuccess: {
              rejectedSpans: String(partial.rejectedSpans),
              errorMessage: partial.errorMessage,
            },
          }
        : {},
    );
  }
  if (!partial) return new Uint8Array();
  const inner: number[] = [];
  if (partial.rejectedSpans > 0) inner.push(0x08, ...varint(partial.rejectedSpans));
  if (partial.errorMessage) inner.push(...lenField(2, utf8(partial.errorMessage)));
  return new Uint8Array(lenField(1, inner));
}

/** google.rpc.Status { code = 1; message = 2 }. */
export function encodeStatus(encoding: OtlpEncoding, status: number, message: string): Uint8Array | string {
  const code = GRPC_CODE[status] ?? 2; // UNKNOWN
  // `error` repeats the message under the name every other /api/v1 answer uses.
  if (encoding === "json") return JSON.stringify({ code, message, details: [], error: message });
  return new Uint8Array([0x08, ...varint(code), ...lenField(2, utf8(message))]);
}

export function otlpResponse(
  encoding: OtlpEncoding,
  status: number,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Response {
  return new Response(body as BodyInit, {
    status,
    headers: { "content-type": CONTENT_TYPE[encoding], "cache-control": "no-store", ...headers },
  });
}

export function otlpError(
  encoding: OtlpEncoding,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return otlpResponse(encoding, status, encodeStatus(encoding, status, message), headers);
}
