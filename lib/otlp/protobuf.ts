// OTLP/HTTP protobuf: ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) read
// without a code generator. Only the fields the console uses are decoded; every other field is
// skipped by its wire type, as protobuf requires of a reader.
//
//   ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
//   ResourceSpans  { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
//   Resource       { repeated KeyValue attributes = 1; }
//   ScopeSpans     { InstrumentationScope scope = 1; repeated Span spans = 2; }
//   InstrumentationScope { string name = 1; string version = 2; }
//   Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5;
//          SpanKind kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
//          repeated KeyValue attributes = 9; repeated Event events = 11; Status status = 15; }
//   Event  { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
//   Status { string message = 2; StatusCode code = 3; }
//   KeyValue { string key = 1; AnyValue value = 2; }
//   AnyValue { oneof: string 1, bool 2, int64 3, double 4, ArrayValue 5, KeyValueList 6, bytes 7 }
//   ArrayValue { repeated AnyValue values = 1; }   KeyValueList { repeated KeyValue values = 1; }
import {
  type Attrs,
  type AttrValue,
  type DecodedTraces,
  idProblem,
  OTLP_LIMITS,
  OtlpDecodeError,
  type OtlpSpan,
  type RejectedSpan,
} from "./types";

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

const utf8 = new TextDecoder("utf-8", { fatal: true });

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done() {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new OtlpDecodeError("truncated varint");
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result & 0xffff_ffff_ffff_ffffn;
    }
    throw new OtlpDecodeError("varint longer than 10 bytes");
  }

  small(): number {
    const v = this.varint();
    if (v > 0xffff_ffffn) throw new OtlpDecodeError("field number or length out of range");
    return Number(v);
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError("truncated fixed64");
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getBigUint64(0, true);
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError("truncated double");
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }

  /** A length-delimited field's contents, as a reader over just those bytes. */
  sub(): Reader {
    const len = this.small();
    if (this.pos + len > this.end) throw new OtlpDecodeError("length-delimited field runs past its message");
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  bytes(): Uint8Array {
    const r = this.sub();
    return this.buf.subarray(r.pos, r.end);
  }

  string(): string {
    const b = this.bytes();
    if (b.length > OTLP_LIMITS.maxStringBytes)
      throw new OtlpDecodeError(`a string is longer than ${OTLP_LIMITS.maxStringBytes} bytes`);
    try {
      return utf8.decode(b);
    } catch {
      throw new OtlpDecodeError("a string is not valid UTF-8");
    }
  }

  skip(wire: number) {
    if (wire === VARINT) this.varint();
    else if (wire === FIXED64) this.pos += 8;
    else if (wire === LEN) this.sub();
    else if (wire === FIXED32) this.pos += 4;
    else throw new OtlpDecodeError(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new OtlpDecodeError("truncated field");
  }

  /** Calls `on(field, wire)` for each field; `on` reads the value or returns false to skip it. */
  fields(on: (field: number, wire: number) => boolean) {
    while (!this.done()) {
      const tag = this.small();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 0) throw new OtlpDecodeError("field number 0");
      if (!on(field, wire)) this.skip(wire);
    }
  }
}

function expectWire(wire: number, want: number, what: string) {
  if (wire !== want) throw new OtlpDecodeError(`${what} has wire type ${wire}, expected ${want}`);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function anyValue(r: Reader, depth: number): AttrValue {
  if (depth > OTLP_LIMITS.maxDepth)
    throw new OtlpDecodeError(`attribute values nest deeper than ${OTLP_LIMITS.maxDepth}`);
  let value: AttrValue = null;
  r.fields((f, w) => {
    if (f === 1 && w === LEN) value = r.string();
    else if (f === 2 && w === VARINT) value = r.varint() !== 0n;
    else if (f === 3 && w === VARINT) value = int64(r.varint());
    else if (f === 4 && w === FIXED64) value = r.double();
    else if (f === 5 && w === LEN) {
      const arr: AttrValue[] = [];
      const sub = r.sub();
      sub.fields((g, gw) => {
        if (g !== 1 || gw !== LEN) return false;
        arr.push(anyValue(sub.sub(), depth + 1));
        return true;
      });
      value = arr;
    } else if (f === 6 && w === LEN) value = keyValues(r.sub(), depth + 1);
    else if (f === 7 && w === LEN) value = Buffer.from(r.bytes()).toString("base64");
    else return false;
    return true;
  });
  return value;
}

/** int64 as a number when it is exact, else as its decimal string (never silently rounded). */
function int64(u: bigint): number | string {
  const v = BigInt.asIntN(64, u);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

function keyValues(r: Reader, depth: number): Attrs {
  const out: Attrs = {};
  let count = 0;
  r.fields((f, w) => {
    if (f !== 1 || w !== LEN) return false;
    if (++count > OTLP_LIMITS.maxAttributesPerSpan)
      throw new OtlpDecodeError(`more than ${OTLP_LIMITS.maxAttributesPerSpan} attributes in one list`);
    Object.assign(out, oneKeyValue(r.sub(), depth));
    return true;
  });
  return out;
}

function span(r: Reader, resource: Attrs, scope: OtlpSpan["scope"]): OtlpSpan {
  const s: OtlpSpan = {
    traceId: "",
    spanId: "",
    parentSpanId: null,
    name: "",
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {},
    status: { code: 0, message: "" },
    events: [],
    resource,
    scope,
  };
  r.fields((f, w) => {
    switch (f) {
      case 1:
        expectWire(w, LEN, "traceId");
        s.traceId = hex(r.bytes());
        return true;
      case 2:
        expectWire(w, LEN, "spanId");
        s.spanId = hex(r.bytes());
        return true;
      case 4: {
        expectWire(w, LEN, "parentSpanId");
        const p = r.bytes();
        s.parentSpanId = p.length ? hex(p) : null;
        return true;
      }
      case 5:
        expectWire(w, LEN, "name");
        s.name = r.string();
        return true;
      case 6:
        expectWire(w, VARINT, "kind");
        s.kind = r.small();
        return true;
      case 7:
        expectWire(w, FIXED64, "startTimeUnixNano");
        s.startNs = r.fixed64();
        return true;
      case 8:
        expectWire(w, FIXED64, "endTimeUnixNano");
        s.endNs = r.fixed64();
        return true;
      case 9: {
        expectWire(w, LEN, "attributes");
        // Repeated field: one KeyValue per occurrence.
        Object.assign(s.attributes, oneKeyValue(r.sub()));
        if (Object.keys(s.attributes).length > OTLP_LIMITS.maxAttributesPerSpan)
          throw new OtlpDecodeError(`a span has more than ${OTLP_LIMITS.maxAttributesPerSpan} attributes`);
        return true;
      }
      case 11: {
        expectWire(w, LEN, "events");
        const ev = r.sub();
        const e = { name: "", timeNs: 0n, attributes: {} as Attrs };
        ev.fields((g, gw) => {
          if (g === 1 && gw === FIXED64) e.timeNs = ev.fixed64();
          else if (g === 2 && gw === LEN) e.name = ev.string();
          else if (g === 3 && gw === LEN) Object.assign(e.attributes, oneKeyValue(ev.sub()));
          else return false;
          return true;
        });
        s.events.push(e);
        return true;
      }
      case 15: {
        expectWire(w, LEN, "status");
        const st = r.sub();
        st.fields((g, gw) => {
          if (g === 2 && gw === LEN) s.status.message = st.string();
          else if (g === 3 && gw === VARINT) s.status.code = Math.min(2, st.small()) as 0 | 1 | 2;
          else return false;
          return true;
        });
        return true;
      }
      default:
        return false;
    }
  });
  return s;
}

function oneKeyValue(kv: Reader, depth = 1): Attrs {
  let key = "";
  let value: AttrValue = null;
  kv.fields((g, gw) => {
    if (g === 1 && gw === LEN) key = kv.string();
    else if (g === 2 && gw === LEN) value = anyValue(kv.sub(), depth);
    else return false;
    return true;
  });
  return { [key]: value };
}

/** Decodes an ExportTraceServiceRequest; throws OtlpDecodeError when the bytes are not one. */
export function decodeTracesProtobuf(body: Uint8Array): DecodedTraces {
  const spans: OtlpSpan[] = [];
  const rejected: RejectedSpan[] = [];
  let count = 0;
  const top = new Reader(body);
  top.fields((f, w) => {
    if (f !== 1) return false;
    expectWire(w, LEN, "resourceSpans");
    const rs = top.sub();
    const resource: Attrs = {};
    const scopeReaders: Reader[] = [];
    rs.fields((g, gw) => {
      if (g === 1 && gw === LEN) {
        const res = rs.sub();
        res.fields((h, hw) => {
          if (h !== 1 || hw !== LEN) return false;
          Object.assign(resource, oneKeyValue(res.sub()));
          return true;
        });
      } else if (g === 2 && gw === LEN) scopeReaders.push(rs.sub());
      else return false;
      return true;
    });
    for (const ss of scopeReaders) {
      const scope = { name: "", version: "" };
      const spanReaders: Reader[] = [];
      ss.fields((g, gw) => {
        if (g === 1 && gw === LEN) {
          const sc = ss.sub();
          sc.fields((h, hw) => {
            if (h === 1 && hw === LEN) scope.name = sc.string();
            else if (h === 2 && hw === LEN) scope.version = sc.string();
            else return false;
            return true;
          });
        } else if (g === 2 && gw === LEN) spanReaders.push(ss.sub());
        else return false;
        return true;
      });
      for (const sr of spanReaders) {
        if (count >= OTLP_LIMITS.maxSpans)
          throw new OtlpDecodeError(`more than ${OTLP_LIMITS.maxSpans} spans in one request`);
        const decoded = span(sr, resource, scope);
        const problem = idProblem(decoded.traceId, decoded.spanId);
        if (problem) rejected.push({ at: `span ${count}`, reason: problem });
        else spans.push(decoded);
        count++;
      }
    }
    return true;
  });
  return { spans, rejected };
}
