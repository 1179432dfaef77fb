// OTLP/HTTP JSON: the protobuf messages in the protobuf JSON mapping, with the OTLP rules
// (ids as hex, not base64; enums as integers; 64-bit integers as numbers or decimal strings;
// unknown fields ignored). One span that breaks a rule is rejected on its own and named in
// partialSuccess; a body that is not an ExportTraceServiceRequest at all is an OtlpDecodeError.
import {
  type Attrs,
  type AttrValue,
  type DecodedTraces,
  idProblem,
  OTLP_LIMITS,
  OtlpDecodeError,
  type OtlpSpan,
  type RejectedSpan,
  type StatusCode,
} from "./types";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Field by its lowerCamelCase name, or the proto name (some senders use snake_case). */
function get(o: Obj, camel: string): unknown {
  if (camel in o) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return o[snake];
}

function list(o: Obj, name: string, what: string): unknown[] {
  const v = get(o, name);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${what}.${name} must be an array`);
  return v;
}

class SpanProblem extends Error {}

/** int64/uint64/fixed64 as JSON: a number or a decimal string. */
function u64(v: unknown, what: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^[0-9]{1,20}$/.test(v)) {
    const b = BigInt(v);
    if (b <= 0xffff_ffff_ffff_ffffn) return b;
  }
  throw new SpanProblem(`${what} must be an unsigned 64-bit integer (number or decimal string)`);
}

function anyValue(v: unknown, depth: number): AttrValue {
  if (depth > OTLP_LIMITS.maxDepth)
    throw new SpanProblem(`attribute values nest deeper than ${OTLP_LIMITS.maxDepth}`);
  if (!isObj(v)) return null;
  if ("stringValue" in v) {
    if (typeof v.stringValue !== "string") throw new SpanProblem("stringValue must be a string");
    if (Buffer.byteLength(v.stringValue) > OTLP_LIMITS.maxStringBytes)
      throw new SpanProblem(`a string is longer than ${OTLP_LIMITS.maxStringBytes} bytes`);
    return v.stringValue;
  }
  if ("boolValue" in v) return v.boolValue === true;
  if ("intValue" in v) {
    const raw = v.intValue;
    // Past 2^53 JSON.parse has already rounded: keep the number it produced.
    if (typeof raw === "number" && Number.isInteger(raw)) return raw;
    if (typeof raw === "string" && /^-?[0-9]{1,20}$/.test(raw)) {
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : raw;
    }
    throw new SpanProblem("intValue must be an integer");
  }
  if ("doubleValue" in v) {
    const d = v.doubleValue;
    if (typeof d === "number") return d;
    if (d === "NaN" || d === "Infinity" || d === "-Infinity") return String(d);
    throw new SpanProblem("doubleValue must be a number");
  }
  if ("arrayValue" in v) {
    const values = isObj(v.arrayValue) ? v.arrayValue.values : undefined;
    if (values === undefined) return [];
    if (!Array.isArray(values)) throw new SpanProblem("arrayValue.values must be an array");
    return values.map((x) => anyValue(x, depth + 1));
  }
  if ("kvlistValue" in v) {
    const values = isObj(v.kvlistValue) ? v.kvlistValue.values : undefined;
    return keyValues(Array.isArray(values) ? values : [], depth + 1);
  }
  if ("bytesValue" in v) {
    if (typeof v.bytesValue !== "string") throw new SpanProblem("bytesValue must be base64");
    return v.bytesValue;
  }
  return null;
}

function keyValues(items: unknown[], depth: number): Attrs {
  if (items.length > OTLP_LIMITS.maxAttributesPerSpan)
    throw new SpanProblem(`more than ${OTLP_LIMITS.maxAttributesPerSpan} attributes`);
  const out: Attrs = {};
  for (const kv of items) {
    if (!isObj(kv) || typeof kv.key !== "string") throw new SpanProblem("an attribute has no string key");
    out[kv.key] = anyValue(kv.value, depth);
  }
  return out;
}

function id(v: unknown): string {
  return typeof v === "string" ? v.toLowerCase() : "";
}

function statusCode(v: unknown): StatusCode {
  if (v === 1 || v === "STATUS_CODE_OK") return 1;
  if (v === 2 || v === "STATUS_CODE_ERROR") return 2;
  return 0;
}

function span(raw: unknown, resource: Attrs, scope: OtlpSpan["scope"]): OtlpSpan {
  if (!isObj(raw)) throw new SpanProblem("a span must be an object");
  const traceId = id(get(raw, "traceId"));
  const spanId = id(get(raw, "spanId"));
  const problem = idProblem(traceId, spanId);
  if (problem) throw new SpanProblem(`${problem} (hex in OTLP/JSON)`);
  const parent = id(get(raw, "parentSpanId"));
  const name = get(raw, "name");
  const kind = get(raw, "kind");
  const status = get(raw, "status");
  return {
    traceId,
    spanId,
    parentSpanId: parent || null,
    name: typeof name === "string" ? name : "",
    kind: typeof kind === "number" && Number.isInteger(kind) ? kind : 0,
    startNs: u64(get(raw, "startTimeUnixNano"), "startTimeUnixNano"),
    endNs: u64(get(raw, "endTimeUnixNano"), "endTimeUnixNano"),
    attributes: keyValues(list(raw, "attributes", "span"), 1),
    status: isObj(status)
      ? { code: statusCode(status.code), message: typeof status.message === "string" ? status.message : "" }
      : { code: 0, message: "" },
    events: list(raw, "events", "span").map((e) => {
      if (!isObj(e)) throw new SpanProblem("a span event must be an object");
      return {
        name: typeof e.name === "string" ? e.name : "",
        timeNs: u64(get(e, "timeUnixNano"), "events.timeUnixNano"),
        attributes: keyValues(list(e, "attributes", "event"), 1),
      };
    }),
    resource,
    scope,
  };
}

/** Decodes a parsed OTLP/JSON body. */
export function decodeTracesJson(body: unknown): DecodedTraces {
  if (!isObj(body)) throw new OtlpDecodeError("the body must be a JSON object (ExportTraceServiceRequest)");
  const spans: OtlpSpan[] = [];
  const rejected: RejectedSpan[] = [];
  let count = 0;
  list(body, "resourceSpans", "request").forEach((rs, i) => {
    if (!isObj(rs)) throw new OtlpDecodeError(`resourceSpans[${i}] must be an object`);
    const res = get(rs, "resource");
    let resource: Attrs = {};
    try {
      resource = isObj(res) ? keyValues(list(res, "attributes", "resource"), 1) : {};
    } catch (err) {
      if (err instanceof SpanProblem)
        throw new OtlpDecodeError(`resourceSpans[${i}].resource: ${err.message}`);
      throw err;
    }
    list(rs, "scopeSpans", `resourceSpans[${i}]`).forEach((ss, j) => {
      if (!isObj(ss)) throw new OtlpDecodeError(`resourceSpans[${i}].scopeSpans[${j}] must be an object`);
      const sc = get(ss, "scope");
      const scope = {
        name: isObj(sc) && typeof sc.name === "string" ? sc.name : "",
        version: isObj(sc) && typeof sc.version === "string" ? sc.version : "",
      };
      list(ss, "spans", "scopeSpans").forEach((raw, k) => {
        if (++count > OTLP_LIMITS.maxSpans)
          throw new OtlpDecodeError(`more than ${OTLP_LIMITS.maxSpans} spans in one request`);
        try {
          spans.push(span(raw, resource, scope));
        } catch (err) {
          if (!(err instanceof SpanProblem)) throw err;
          rejected.push({ at: `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`, reason: err.message });
        }
      });
    });
  });
  return { spans, rejected };
}
