// OTLP traces as the console reads them, the same whichever encoding (JSON or protobuf) they
// came in: ids as lower-case hex, times as nanoseconds since the epoch, attributes flattened
// into plain values. Only the fields the mappers use are kept.

export type AttrValue = string | number | boolean | AttrValue[] | { [key: string]: AttrValue } | null;
export type Attrs = Record<string, AttrValue>;

export const SPAN_KIND = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
} as const;

/** Status.code: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2;

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Attrs;
  status: { code: StatusCode; message: string };
  events: { name: string; timeNs: bigint; attributes: Attrs }[];
  /** The resource's attributes (service.name, …), shared by the spans of one ResourceSpans. */
  resource: Attrs;
  scope: { name: string; version: string };
}

/** A span the decoder could not read; its position lets the answer name it. */
export interface RejectedSpan {
  at: string;
  reason: string;
}

export interface DecodedTraces {
  spans: OtlpSpan[];
  rejected: RejectedSpan[];
}

/** The body is not an OTLP traces request at all (answered 400). */
export class OtlpDecodeError extends Error {}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO = /^0+$/;

/** The OTLP rules for ids: 16 and 8 bytes, not all zero. Returns a reason, or null when valid. */
export function idProblem(traceId: string, spanId: string): string | null {
  if (!TRACE_ID.test(traceId) || ZERO.test(traceId)) return "traceId must be 16 bytes, not all zero";
  if (!SPAN_ID.test(spanId) || ZERO.test(spanId)) return "spanId must be 8 bytes, not all zero";
  return null;
}

/** Limits on one request's contents, beyond the body size the route enforces. */
export const OTLP_LIMITS = {
  maxSpans: 5000,
  maxAttributesPerSpan: 256,
  maxDepth: 8,
  maxStringBytes: 16 * 1024,
} as const;
