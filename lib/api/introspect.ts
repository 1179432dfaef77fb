import type { ApiError, IntrospectResponse } from "@capability-console/sdk/schema";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { escalations } from "@/db/schema";
import {
  type Clock,
  createVerifier,
  type IssuerPublicKey,
  revocationReason,
  systemClock,
} from "@/lib/capability";
import { authenticateApiKey } from "@/lib/data/api-key-auth";
import { revocationListFor } from "@/lib/data/revocations";
import { listPublishedKeys } from "@/lib/data/verifier-feed";
import { readLimited } from "@/lib/ingest/body";
import { type RateLimiter, rateLimited } from "@/lib/ingest/rate-limit";

// POST /api/v1/introspect, in the shape of RFC 7662: is this token active right now, and if so
// what does it grant. The API key fixes the tenant: a token of another tenant is simply "not
// recognised", the same answer as a forged one, so nothing says whose it is. The token itself
// is never echoed, logged or stored.

export interface IntrospectDeps {
  clock?: Clock;
  /** The console's public key, trusted even before it is written to the issuers table. */
  consoleKey?: IssuerPublicKey;
  /** Per API key: each introspection verifies a token, so a runaway client is slowed first. */
  limiter?: RateLimiter;
}

const MAX_BODY = 96 * 1024;
const NOT_RECOGNISED = "token not recognised";

const json = (body: IntrospectResponse | ApiError, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "cache-control": "no-store", pragma: "no-cache", ...headers } });

async function readToken(request: Request): Promise<string | { error: string; status: number }> {
  const body = await readLimited(request, MAX_BODY);
  if (!body.ok) return { error: body.message, status: 413 };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body.bytes);
  } catch {
    return { error: "body is not valid UTF-8", status: 400 };
  }
  let token: unknown;
  if ((request.headers.get("content-type") ?? "").includes("application/x-www-form-urlencoded")) {
    token = new URLSearchParams(text).get("token");
  } else {
    try {
      // No parser message is passed on: it may quote the body, and the body holds a token.
      token = (JSON.parse(text) as { token?: unknown } | null)?.token;
    } catch {
      return { error: 'send JSON {"token": "..."} or a form with token=...', status: 400 };
    }
  }
  if (typeof token !== "string" || token.length === 0)
    return { error: "token is required (a string)", status: 400 };
  return token;
}

export async function handleIntrospect(
  db: Db,
  request: Request,
  deps: IntrospectDeps = {},
): Promise<Response> {
  const who = await authenticateApiKey(db, request.headers.get("authorization"));
  if (!who)
    return json({ error: "Send a valid API key as Authorization: Bearer <key>." }, 401, {
      "www-authenticate": "Bearer",
    });
  const limited = rateLimited(deps.limiter, who.keyId);
  if (limited) return limited;
  const token = await readToken(request);
  if (typeof token !== "string") return json({ error: token.error, field: "token" }, token.status);

  const clock = deps.clock ?? systemClock;
  const published = await listPublishedKeys(db, { tenant: who.tenant }, new Date(clock.now()));
  const keys: IssuerPublicKey[] = published.map((k) => ({
    kid: k.kid,
    publicKey: k.publicKey,
    status: k.status,
  }));
  if (deps.consoleKey && !keys.some((k) => k.kid === deps.consoleKey?.kid)) keys.push(deps.consoleKey);
  const verifier = await createVerifier({ keys, clock, cacheSize: 0 });
  const verified = verifier.verify(token);
  if (!verified.ok) {
    const reason = verified.error.code === "malformed" ? "malformed token" : NOT_RECOGNISED;
    return json({ active: false, reason });
  }
  const cap = verified.capability;
  try {
    const ctx = cap.context;
    if (!ctx || ctx.tenant !== who.tenant) return json({ active: false, reason: NOT_RECOGNISED });

    const summary = cap.summary();
    const nowMs = clock.now();
    const expiresAt = cap.expiresAt;
    const described = {
      kind: cap.kind,
      sub: ctx.principal,
      tenant: ctx.tenant,
      session: ctx.session,
      agent: ctx.agent,
      iat: Math.floor(ctx.issuedAt / 1000),
      ...(expiresAt === undefined
        ? {}
        : { exp: Math.floor(expiresAt / 1000), expires_at: summary.expiresAt }),
      cap_id: cap.id,
      token_hash: cap.hash,
    };

    const revocations = await revocationListFor(db, {
      tenant: who.tenant,
      ids: cap.revocationIds,
      session: ctx.session,
      principal: ctx.principal,
    });
    const revoked = revocationReason(
      { revocationIds: cap.revocationIds, session: ctx.session, principal: ctx.principal },
      revocations,
    );
    if (revoked) return json({ active: false, reason: revoked, ...described });
    if (expiresAt !== undefined && nowMs >= expiresAt)
      return json({ active: false, reason: "expired", ...described });

    let escalation: { escalation_id: string; single_use: boolean; uses: number } | undefined;
    if (ctx.kind === "escalation") {
      const [row] = await db
        .select()
        .from(escalations)
        .where(and(eq(escalations.tenant, who.tenant), eq(escalations.capabilityId, cap.rootId)));
      if (!row) return json({ active: false, reason: "unknown escalation", ...described });
      escalation = { escalation_id: row.id, single_use: row.singleUse, uses: row.useCount };
      if (row.status === "revoked")
        return json({ active: false, reason: "escalation revoked", ...described, ...escalation });
      if (row.status === "used" || (row.singleUse && row.useCount > 0))
        return json({ active: false, reason: "escalation already used", ...described, ...escalation });
      if (row.status !== "active" || (row.expiresAt && nowMs >= row.expiresAt.getTime()))
        return json({
          active: false,
          reason: `escalation ${row.status === "active" ? "expired" : row.status}`,
          ...described,
          ...escalation,
        });
    }
    return json({ active: true, ...described, ...escalation, summary });
  } finally {
    cap.release(); // a token is verified per request: free its wasm memory now, not at some GC
  }
}
