import {
  type ApiError,
  type EscalationPickupResponse,
  type EscalationUseDecision,
  escalationUseRequestSchema,
} from "@capability-console/sdk/schema";
import type { Db } from "@/db/client";
import type { Clock, IssuerKeyPair } from "@/lib/capability";
import { authenticateApiKey } from "@/lib/data/api-key-auth";
import { pickUpEscalations, recordEscalationUse } from "@/lib/data/escalation-uses";
import { parseJsonBytes, readLimited } from "@/lib/ingest/body";
import { type RateLimiter, rateLimited } from "@/lib/ingest/rate-limit";

// GET /api/v1/escalations?session=S (pick-up) and POST /api/v1/escalations/{id}/use (the one
// use of a grant), for agent platforms. The API key fixes the tenant.

export interface EscalationRouteDeps {
  clock?: Clock;
  /** Needed by the pick-up, which mints the token at that moment. */
  consoleKey?: IssuerKeyPair;
  /** Per API key; a refused request gets 429 with Retry-After before any database work. */
  limiter?: RateLimiter;
}

const json = (
  body: EscalationPickupResponse | EscalationUseDecision | ApiError,
  status = 200,
  headers: Record<string, string> = {},
) =>
  Response.json(body, { status, headers: { "cache-control": "no-store", pragma: "no-cache", ...headers } });

const UNAUTHORIZED = () =>
  json({ error: "Send a valid API key as Authorization: Bearer <key>." }, 401, {
    "www-authenticate": "Bearer",
  });

const NAME = /^[A-Za-z0-9_.:@/+-]{1,200}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Escalations waiting for `session`, each with its token, exactly once: a token is minted when
 * it is first picked up and only its hash is kept, so a second call (or a racing one) does not
 * see it again. Not cacheable, though a GET: every answer is fresh and personal to the key.
 */
export async function handleEscalationPickup(
  db: Db,
  request: Request,
  deps: EscalationRouteDeps = {},
): Promise<Response> {
  const who = await authenticateApiKey(db, request.headers.get("authorization"));
  if (!who) return UNAUTHORIZED();
  const limited = rateLimited(deps.limiter, who.keyId);
  if (limited) return limited;
  const session = new URL(request.url).searchParams.get("session");
  if (!session || !NAME.test(session))
    return json(
      { error: "session is required: the agent session to pick up escalations for", field: "session" },
      400,
    );
  if (!deps.consoleKey) return json({ error: "the console is not ready; retry later" }, 503);
  const picked = await pickUpEscalations(
    db,
    { tenant: who.tenant, source: who.source },
    { session },
    { clock: deps.clock, consoleKey: deps.consoleKey },
  );
  return json({ escalations: picked });
}

const STATUS: Record<string, number> = {
  unknown: 404,
  token_mismatch: 403,
  operation_mismatch: 403,
  not_active: 409,
  used: 409,
  expired: 410,
  revoked: 403,
};

/** Records one use; 200 when allowed, otherwise why not (every attempt is audited). */
export async function handleEscalationUse(
  db: Db,
  request: Request,
  deps: EscalationRouteDeps = {},
): Promise<Response> {
  const who = await authenticateApiKey(db, request.headers.get("authorization"));
  if (!who) return UNAUTHORIZED();
  const limited = rateLimited(deps.limiter, who.keyId);
  if (limited) return limited;
  const id = /\/escalations\/([^/]+)\/use\/?$/.exec(new URL(request.url).pathname)?.[1];
  if (!id || !UUID.test(id)) return json({ error: "unknown escalation id", field: "id" }, 404);
  const body = await readLimited(request, 96 * 1024);
  if (!body.ok) return json({ error: body.message }, 413);
  // UTF-8, JSON, nested at most 8 levels (a use is three). The parser's message may quote the
  // body, which holds a token: say nothing more.
  const value = parseJsonBytes(body.bytes, 8);
  if (!value.ok) return json({ error: 'send JSON {"token": "...", "operation": {...}}', field: "body" }, 400);
  const parsed = escalationUseRequestSchema.safeParse(value.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return json({ error: "invalid request", field: issue?.path.join(".") || "body" }, 400);
  }
  const decision = await recordEscalationUse(
    db,
    { tenant: who.tenant, source: who.source },
    { id: id.toLowerCase(), ...parsed.data },
    { clock: deps.clock },
  );
  return json(decision, decision.allowed ? 200 : (STATUS[decision.code] ?? 403));
}
