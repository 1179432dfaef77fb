import { gunzipSync } from "node:zlib";
import type { Db } from "@/db/client";
import { authenticateApiKey, touchApiKey } from "@/lib/data/api-key-auth";
import { parseJsonBytes, readLimited } from "@/lib/ingest/body";
import type { RateLimiter } from "@/lib/ingest/rate-limit";
import { mapSpans } from "./dialects";
import { decodeTracesJson } from "./json";
import { toObservedContent } from "./observed";
import { decodeTracesProtobuf } from "./protobuf";
import { encodeExportResponse, type OtlpEncoding, otlpError, otlpResponse } from "./response";
import { storeObserved } from "./store";
import { type DecodedTraces, OtlpDecodeError, type RejectedSpan } from "./types";

/** The stated sizes: what the client sends (compressed or not) and what it may expand to. */
export const OTLP_BODY_LIMITS = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxDecompressedBytes: 16 * 1024 * 1024,
  maxJsonDepth: 64,
} as const;

export interface OtlpOptions {
  limiter?: RateLimiter;
  /** Test hook: awaited inside the transaction, after every write, before COMMIT. */
  beforeCommit?: () => Promise<void>;
  log?: (message: string, err: unknown) => void;
  /** The server clock (the future-ts bound); injected by tests. */
  now?: () => Date;
}

function encodingOf(contentType: string | null): OtlpEncoding | null {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
  return null;
}

function inflate(
  bytes: Uint8Array,
  encoding: string,
): { ok: true; bytes: Uint8Array } | { ok: false; status: number; message: string } {
  if (encoding === "" || encoding === "identity") return { ok: true, bytes };
  if (encoding !== "gzip")
    return {
      ok: false,
      status: 415,
      message: `content-encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported; use gzip or none`,
    };
  try {
    // maxOutputLength stops inflating at the bound: a gzip bomb costs at most that much memory.
    return { ok: true, bytes: gunzipSync(bytes, { maxOutputLength: OTLP_BODY_LIMITS.maxDecompressedBytes }) };
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      return {
        ok: false,
        status: 413,
        message: `body must decompress to at most ${OTLP_BODY_LIMITS.maxDecompressedBytes} bytes`,
      };
    return { ok: false, status: 400, message: "body is not valid gzip (content-encoding: gzip)" };
  }
}

function decode(
  bytes: Uint8Array,
  encoding: OtlpEncoding,
): { ok: true; traces: DecodedTraces } | { ok: false; message: string } {
  try {
    if (encoding === "protobuf") return { ok: true, traces: decodeTracesProtobuf(bytes) };
    const parsed = parseJsonBytes(bytes, OTLP_BODY_LIMITS.maxJsonDepth);
    if (!parsed.ok) return { ok: false, message: parsed.message };
    return { ok: true, traces: decodeTracesJson(parsed.value) };
  } catch (err) {
    if (err instanceof OtlpDecodeError)
      return { ok: false, message: `not an OTLP ExportTraceServiceRequest: ${err.message}` };
    // The decoders are pure; anything else they throw on hostile bytes is still a bad body.
    if (err instanceof RangeError || err instanceof TypeError)
      return { ok: false, message: `not an OTLP ExportTraceServiceRequest (${encoding})` };
    throw err;
  }
}

function partialMessage(rejected: RejectedSpan[]): string {
  const named = rejected.slice(0, 20).map((r) => `${r.at}: ${r.reason}`);
  const more = rejected.length > 20 ? `; and ${rejected.length - 20} more` : "";
  return `${rejected.length} span(s) rejected: ${named.join("; ")}${more}`;
}

/**
 * POST /api/v1/otlp/v1/traces (and the bare /api/v1/otlp), framework-free. Order of checks:
 * 401 key, 429 rate, 415 content type and encoding, 413 size (while streaming, then while
 * inflating), 400 a body that is not an ExportTraceServiceRequest, then one transaction and 200
 * only after COMMIT. Nothing is stored unless the answer is 200; spans the console cannot read
 * are counted and named in partialSuccess, spans of no dialect it reads are accepted and dropped.
 */
export async function handleOtlpTraces(db: Db, request: Request, opts: OtlpOptions = {}): Promise<Response> {
  const log = opts.log ?? ((m, e) => console.error(`[otlp] ${m}`, e));
  // Errors answer in the request's encoding when it is one OTLP knows, JSON otherwise.
  const encoding = encodingOf(request.headers.get("content-type"));
  const as = encoding ?? "json";
  const drain = () => request.body?.cancel().catch(() => {});
  try {
    if (request.method !== "POST") {
      await drain();
      return otlpError(as, 405, "use POST", { allow: "POST" });
    }
    const key = await authenticateApiKey(db, request.headers.get("authorization"));
    if (!key) {
      await drain();
      return otlpError(as, 401, "missing, unknown or revoked API key (Authorization: Bearer <ingest key>)", {
        "www-authenticate": 'Bearer realm="ingest"',
      });
    }
    const rate = opts.limiter?.take(key.keyId);
    if (rate && !rate.ok) {
      await drain();
      return otlpError(as, 429, "rate limit exceeded for this API key", {
        "retry-after": String(Math.max(1, Math.ceil(rate.retryAfterMs / 1000))),
      });
    }
    if (!encoding) {
      await drain();
      return otlpError(as, 415, "content-type must be application/json or application/x-protobuf");
    }
    const contentEncoding = (request.headers.get("content-encoding") ?? "").trim().toLowerCase();
    if (contentEncoding !== "" && contentEncoding !== "identity" && contentEncoding !== "gzip") {
      await drain();
      return otlpError(
        encoding,
        415,
        `content-encoding ${JSON.stringify(contentEncoding.slice(0, 40))} is not supported; use gzip or none`,
      );
    }
    const body = await readLimited(request, OTLP_BODY_LIMITS.maxBodyBytes);
    if (!body.ok) return otlpError(encoding, 413, body.message);
    const inflated = inflate(body.bytes, contentEncoding);
    if (!inflated.ok) return otlpError(encoding, inflated.status, inflated.message);
    const decoded = decode(inflated.bytes, encoding);
    if (!decoded.ok) return otlpError(encoding, 400, decoded.message);

    const rejected = [...decoded.traces.rejected];
    const { events: observed } = mapSpans(decoded.traces.spans);
    const now = opts.now?.() ?? new Date();
    const contents = observed.flatMap((e) => {
      const checked = toObservedContent(e, key.tenant, now);
      if (checked.ok) return [checked.content];
      rejected.push({ at: `span ${e.spanId} of trace ${e.traceId}`, reason: checked.reason });
      return [];
    });
    if (contents.length > 0) {
      await storeObserved(db, { tenant: key.tenant, contents, beforeCommit: opts.beforeCommit });
      await touchApiKey(db, key).catch((err) => log("could not record key use", err));
    }
    const partial =
      rejected.length > 0 ? { rejectedSpans: rejected.length, errorMessage: partialMessage(rejected) } : null;
    return otlpResponse(encoding, 200, encodeExportResponse(encoding, partial));
  } catch (err) {
    log("export failed", err);
    return otlpError(
      as,
      503,
      "the spans could not be stored; retry the export (a span is stored once however often it is sent)",
      {
        "retry-after": "1",
      },
    );
  }
}
