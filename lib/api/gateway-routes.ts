import {
  type ApiError,
  type GatewayConfigResponse,
  type GatewayEscalationRequestResponse,
  gatewayEscalationRequestSchema,
} from "@capability-console/sdk/schema";
import type { Db } from "@/db/client";
import type { Clock } from "@/lib/capability";
import { authenticateApiKey } from "@/lib/data/api-key-auth";
import { getGatewayConfig } from "@/lib/data/gateway";
import { createGatewayEscalationRequest, getGatewayEscalationRequest } from "@/lib/data/gateway-requests";
import { FieldError, ForbiddenError, NotFoundError } from "@/lib/errors";
import { parseJsonBytes, readLimited } from "@/lib/ingest/body";
import { type RateLimiter, rateLimited } from "@/lib/ingest/rate-limit";

// The MCP gateway's API (issue 14; docs/gateway.md, "Console side"): GET /api/v1/gateway/config (its
// tenant's clients and tool rules, with an ETag), POST /api/v1/gateway/escalation-requests and
// GET /api/v1/gateway/escalation-requests/{id}. The API key fixes the tenant.

export interface GatewayRouteDeps {
  clock?: Clock;
  /** Per API key; a refused request gets 429 with Retry-After before any database work. */
  limiter?: RateLimiter;
}

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

const json = (
  body: GatewayConfigResponse | GatewayEscalationRequestResponse | ApiError,
  status = 200,
  headers: Record<string, string> = {},
) => Response.json(body, { status, headers: { ...NO_STORE, ...headers } });

const UNAUTHORIZED = () =>
  json({ error: "Send a valid API key as Authorization: Bearer <key>." }, 401, {
    "www-authenticate": "Bearer",
  });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_BODY = 64 * 1024;

async function caller(db: Db, request: Request, deps: GatewayRouteDeps) {
  const who = await authenticateApiKey(db, request.headers.get("authorization"));
  if (!who) return { refused: UNAUTHORIZED() };
  const limited = rateLimited(deps.limiter, who.keyId);
  if (limited) return { refused: limited };
  return { who };
}

/** If-None-Match lists ETags (weak or strong, or "*"); any match means "not modified". */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === "*" || t === etag);
}

/** The config document; 304 with an empty body when the gateway's ETag is still current. */
export async function handleGatewayConfig(
  db: Db,
  request: Request,
  deps: GatewayRouteDeps = {},
): Promise<Response> {
  const c = await caller(db, request, deps);
  if (c.refused) return c.refused;
  const config = await getGatewayConfig(db, { tenant: c.who.tenant });
  const etag = `"${config.version}"`;
  // no-cache rather than no-store: the gateway revalidates every poll, with the ETag.
  const headers = { etag, "cache-control": "private, no-cache" };
  if (matches(request.headers.get("if-none-match"), etag))
    return new Response(null, { status: 304, headers });
  return Response.json(config, { status: 200, headers });
}

/** Creates (201) or returns the open (200) request for this session and operation. */
export async function handleGatewayEscalationRequest(
  db: Db,
  request: Request,
  deps: GatewayRouteDeps = {},
): Promise<Response> {
  const c = await caller(db, request, deps);
  if (c.refused) return c.refused;
  const body = await readLimited(request, MAX_BODY);
  if (!body.ok) return json({ error: body.message }, 413);
  // A request is three levels deep; anything much deeper is not one.
  const value = parseJsonBytes(body.bytes, 8);
  if (!value.ok) return json({ error: "send a JSON escalation request", field: "body" }, 400);
  const parsed = gatewayEscalationRequestSchema.safeParse(value.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "body";
    return json({ error: `${field}: ${issue?.message ?? "invalid"}`, field }, 400);
  }
  try {
    const { created, response } = await createGatewayEscalationRequest(
      db,
      { tenant: c.who.tenant, source: c.who.source },
      parsed.data,
      { clock: deps.clock },
    );
    return json(response, created ? 201 : 200);
  } catch (err) {
    if (err instanceof NotFoundError) return json({ error: err.message, field: "client" }, 404);
    if (err instanceof ForbiddenError) return json({ error: err.message, field: "client" }, 403);
    if (err instanceof FieldError) return json({ error: err.message, field: err.field }, 400);
    throw err;
  }
}

/** GET …/escalation-requests/{id}: its status; another tenant's id is 404 like an unknown one. */
export async function handleGatewayEscalationRequestStatus(
  db: Db,
  request: Request,
  deps: GatewayRouteDeps = {},
): Promise<Response> {
  const c = await caller(db, request, deps);
  if (c.refused) return c.refused;
  const id = /\/escalation-requests\/([^/]+)\/?$/.exec(new URL(request.url).pathname)?.[1];
  if (!id || !UUID.test(id)) return json({ error: "unknown escalation request", field: "id" }, 404);
  const found = await getGatewayEscalationRequest(db, { tenant: c.who.tenant }, id.toLowerCase(), {
    clock: deps.clock,
  });
  if (!found) return json({ error: "unknown escalation request", field: "id" }, 404);
  return json(found);
}
