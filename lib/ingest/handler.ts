import type { Db } from "@/db/client";
import { authenticateApiKey, touchApiKey } from "@/lib/data/api-key-auth";
import { parseJsonBytes, readLimited } from "./body";
import { LIMITS } from "./event-schema";
import { type RateLimiter, rateLimited } from "./rate-limit";
import { storeBatch } from "./store";
import { type ItemError, validateBatch } from "./validate";

export interface IngestOptions {
  limiter?: RateLimiter;
  /** Test hook: awaited inside the transaction, after every write, before COMMIT. */
  beforeCommit?: () => Promise<void>;
  /** Where unexpected errors go (never to the client). */
  log?: (message: string, err: unknown) => void;
}

interface ErrorBody {
  error: string;
  field?: string;
  details?: ItemError[];
}

function reply(status: number, body: ErrorBody | object, headers?: Record<string, string>): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * POST /api/v1/events, framework-free: a web Request in, a Response out. Order of checks:
 * 401 key, 429 rate, 415 content type, 413 size (while streaming), 400 UTF-8 / nesting / JSON /
 * envelope, 413 event count, 400 per-item schema (all-or-nothing), 403 tenant, then one
 * transaction and 200 only after COMMIT. See docs/ingest.md.
 */
export async function handleIngest(db: Db, request: Request, opts: IngestOptions = {}): Promise<Response> {
  const log = opts.log ?? ((m, e) => console.error(`[ingest] ${m}`, e));
  try {
    if (request.method !== "POST") return reply(405, { error: "use POST" }, { allow: "POST" });
    const key = await authenticateApiKey(db, request.headers.get("authorization"));
    if (!key) {
      await request.body?.cancel().catch(() => {});
      return reply(
        401,
        { error: "missing, unknown or revoked API key", field: "authorization" },
        {
          "www-authenticate": 'Bearer realm="ingest"',
        },
      );
    }
    const limited = rateLimited(opts.limiter, key.keyId);
    if (limited) {
      await request.body?.cancel().catch(() => {});
      return limited;
    }
    if (!JSON_TYPE.test(request.headers.get("content-type") ?? "")) {
      await request.body?.cancel().catch(() => {});
      return reply(415, { error: "content type must be application/json (UTF-8)", field: "content-type" });
    }
    const body = await readLimited(request, LIMITS.maxBodyBytes);
    if (!body.ok) return reply(413, { error: body.message, field: "body" });
    const parsed = parseJsonBytes(body.bytes, LIMITS.maxJsonDepth);
    if (!parsed.ok) return reply(400, { error: parsed.message, field: "body" });

    const checked = validateBatch(parsed.value);
    if (!checked.ok) {
      const { status, error, field, details } = checked;
      return reply(status, { error, ...(field ? { field } : {}), ...(details ? { details } : {}) });
    }
    const foreign = checked.events.flatMap((e, index) =>
      e.tenant === key.tenant
        ? []
        : [{ index, field: "tenant", message: "does not match the API key's tenant" }],
    );
    if (foreign.length > 0) {
      return reply(403, {
        error: "event tenant does not match the API key's tenant; nothing was stored",
        field: `events[${foreign[0]?.index}].tenant`,
        details: foreign.slice(0, 100),
      });
    }

    const result = await storeBatch(db, {
      tenant: key.tenant,
      source: key.source,
      events: checked.events,
      beforeCommit: opts.beforeCommit,
    });
    await touchApiKey(db, key).catch((err) => log("could not record key use", err));
    return reply(200, result);
  } catch (err) {
    log("batch failed", err);
    return reply(503, { error: "the batch could not be stored; retry it (event ids make a retry safe)" });
  }
}
