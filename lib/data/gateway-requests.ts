import "server-only";
import { createHash, randomUUID } from "node:crypto";
import type {
  GatewayEscalationRequest,
  GatewayEscalationRequestResponse,
  GatewayEscalationRequestStatus,
  GatewayOperation,
} from "@capability-console/sdk/schema";
import { and, desc, eq, inArray, lte } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import {
  type Escalation,
  escalations,
  type GatewayEscalationRequestRow,
  gatewayClients,
  gatewayEscalationRequests,
  tenants,
} from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { CONTENT_VERSION_ERASABLE } from "@/lib/audit/subjects";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { ConflictError, FieldError, ForbiddenError, NotFoundError } from "@/lib/errors";
import { uuidv7 } from "@/lib/ids";
import { type ClockDeps, clockOf } from "./escalation-common";
import type { PlatformScope } from "./escalation-uses";
import {
  DEFAULT_ESCALATION_TTL_SECONDS,
  type EscalationDeps,
  escalationPolicy,
  issueEscalation,
  issueGatewayEscalationSchema,
  PENDING_MAX_AGE_MS,
} from "./escalations";
import { lockRowInScope } from "./tenant-lookup";

// Escalation requests of the MCP gateway (issue 14): a refused tools/call becomes a request for
// exactly that operation (argument digest included) in one session. An admin grants it on the
// Escalations page, which issues an ordinary escalation (delivery platform, single use, 60 s);
// the gateway picks it up with GET /api/v1/escalations?session= and records the use.

/** A request nobody granted within this long reads "expired" and can no longer be granted. */
export const GATEWAY_REQUEST_MAX_AGE_MS = 30 * 60_000;
const LAPSED = "This request lapsed: nobody granted it within 30 minutes. The agent can ask again.";

export const gatewayRequestIdSchema = z.object({ id: z.uuid({ error: "Unknown escalation request." }) });
export const dismissGatewayRequestSchema = gatewayRequestIdSchema.extend({
  reason: z
    .unknown()
    .transform((r) => (typeof r === "string" ? r.trim().slice(0, 1000) || undefined : undefined)),
});

/** The operation's canonical form, hashed: "the same operation" is equal keys. */
function operationKey(op: GatewayOperation): string {
  const canonical = JSON.stringify([op.tool, op.resourceType, op.resourceId, op.action, op.argDigest]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

const lapsed = (row: Pick<GatewayEscalationRequestRow, "requestedAt">, nowMs: number) =>
  nowMs - row.requestedAt.getTime() >= GATEWAY_REQUEST_MAX_AGE_MS;

/**
 * What the gateway is told. A granted request follows its escalation: under the two-person rule
 * it is still "requested" until a second admin approves (then "granted"), "dismissed" if they
 * reject it and "expired" if nobody does within 30 minutes.
 */
export function wireStatus(
  row: Pick<GatewayEscalationRequestRow, "status" | "requestedAt">,
  escalation: Pick<Escalation, "status" | "issuedAt" | "requestedAt"> | null,
  nowMs: number,
): GatewayEscalationRequestStatus {
  if (row.status === "requested") return lapsed(row, nowMs) ? "expired" : "requested";
  if (row.status !== "granted" || !escalation) return row.status;
  if (escalation.status === "pending")
    return nowMs - escalation.requestedAt.getTime() >= PENDING_MAX_AGE_MS ? "expired" : "requested";
  if (escalation.status === "rejected") return "dismissed";
  if (escalation.status === "expired" && !escalation.issuedAt) return "expired";
  return "granted";
}

async function escalationOf(db: Executor, row: GatewayEscalationRequestRow) {
  if (!row.escalationId) return null;
  const [esc] = await db
    .select({
      status: escalations.status,
      issuedAt: escalations.issuedAt,
      requestedAt: escalations.requestedAt,
    })
    .from(escalations)
    .where(and(eq(escalations.tenant, row.tenant), eq(escalations.id, row.escalationId)));
  return esc ?? null;
}

function toWire(
  row: GatewayEscalationRequestRow,
  escalation: Parameters<typeof wireStatus>[1],
  nowMs: number,
): GatewayEscalationRequestResponse {
  return { id: row.id, status: wireStatus(row, escalation, nowMs), escalation: row.escalationId };
}

/**
 * The gateway's request for one refused operation, for the API key's tenant. Idempotent: while a
 * request for the same session and operation is open, that one is returned (`created: false`).
 * The client must be the tenant's, not revoked, and the principal and agent its own.
 */
export async function createGatewayEscalationRequest(
  db: Db,
  scope: PlatformScope,
  input: GatewayEscalationRequest,
  deps: ClockDeps = {},
): Promise<{ created: boolean; response: GatewayEscalationRequestResponse }> {
  const nowMs = clockOf(deps).now();
  const now = new Date(nowMs);
  const key = operationKey(input.operation);
  return db.transaction(async (tx) => {
    const [client] = await tx
      .select()
      .from(gatewayClients)
      .where(and(eq(gatewayClients.tenant, scope.tenant), eq(gatewayClients.id, input.client)));
    if (!client) throw new NotFoundError("client is not a gateway client of this tenant");
    if (client.revokedAt) throw new ForbiddenError("the client's credential is revoked");
    if (client.principal !== input.principal)
      throw new FieldError("principal", "principal is not the client's principal");
    if (client.agent !== input.agent) throw new FieldError("agent", "agent is not the client's agent");
    const open = and(
      eq(gatewayEscalationRequests.tenant, scope.tenant),
      eq(gatewayEscalationRequests.session, input.session),
      eq(gatewayEscalationRequests.operationKey, key),
      eq(gatewayEscalationRequests.status, "requested"),
    );
    // A lapsed request no longer holds the place of "the open one".
    await tx
      .update(gatewayEscalationRequests)
      .set({ status: "expired", decidedAt: now })
      .where(
        and(open, lte(gatewayEscalationRequests.requestedAt, new Date(nowMs - GATEWAY_REQUEST_MAX_AGE_MS))),
      );
    // The unique index on open requests decides between two racing callers: one inserts, the
    // other waits for it and then finds its row.
    const [inserted] = await tx
      .insert(gatewayEscalationRequests)
      .values({
        tenant: scope.tenant,
        id: randomUUID(),
        clientId: client.id,
        principal: input.principal,
        agent: input.agent,
        session: input.session,
        operation: { ...input.operation },
        operationKey: key,
        missing: input.missing,
        deniedEvent: input.deniedEvent,
        requestedAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (!inserted) {
      const [existing] = await tx.select().from(gatewayEscalationRequests).where(open);
      if (!existing) throw new Error("open request vanished");
      return { created: false, response: toWire(existing, null, nowMs) };
    }
    const op = input.operation;
    await appendEvents(tx, [
      {
        id: uuidv7(nowMs),
        ts: now,
        tenant: scope.tenant,
        type: "escalation.requested",
        principal: input.principal,
        agent: input.agent,
        session: input.session,
        tool: op.tool,
        action: op.action,
        resourceType: op.resourceType,
        resourceId: op.resourceId,
        inputDigest: op.argDigest,
        outcome: "allowed",
        reason: input.missing,
        meta: {
          gatewayRequestId: inserted.id,
          client: client.id,
          argDigest: op.argDigest,
          missing: input.missing,
          deniedEvent: input.deniedEvent,
          source: scope.source,
        },
        // Erasable (lib/audit/subjects.ts): it names the person the gateway acts for.
        contentVersion: CONTENT_VERSION_ERASABLE,
      },
    ]);
    return { created: true, response: toWire(inserted, null, nowMs) };
  });
}

/** One request of the API key's tenant, or null (another tenant's id is unknown, like none). */
export async function getGatewayEscalationRequest(
  db: Db,
  scope: Pick<PlatformScope, "tenant">,
  id: string,
  deps: ClockDeps = {},
): Promise<GatewayEscalationRequestResponse | null> {
  const [row] = await db
    .select()
    .from(gatewayEscalationRequests)
    .where(and(eq(gatewayEscalationRequests.tenant, scope.tenant), eq(gatewayEscalationRequests.id, id)));
  if (!row) return null;
  return toWire(row, await escalationOf(db, row), clockOf(deps).now());
}

export type GatewayRequestListRow = Omit<GatewayEscalationRequestRow, "operation" | "status"> & {
  operation: GatewayOperation;
  /** As the gateway reads it (wireStatus). */
  status: GatewayEscalationRequestStatus;
  /** The issued escalation's own status, when granted. */
  escalationStatus: Escalation["status"] | null;
};

/** Requests in view, newest first: the Escalations page's "Requested by agents". */
export async function listGatewayEscalationRequests(
  db: Db,
  authority: Authority,
  opts: { limit?: number } & ClockDeps = {},
): Promise<GatewayRequestListRow[]> {
  assertCan(authority, "escalations.read");
  const nowMs = clockOf(opts).now();
  const rows = await db
    .select({ request: gatewayEscalationRequests, escalation: escalations })
    .from(gatewayEscalationRequests)
    .leftJoin(
      escalations,
      and(
        eq(escalations.tenant, gatewayEscalationRequests.tenant),
        eq(escalations.id, gatewayEscalationRequests.escalationId),
      ),
    )
    .where(inArray(gatewayEscalationRequests.tenant, tenantsInView(authority)))
    .orderBy(desc(gatewayEscalationRequests.requestedAt))
    .limit(Math.min(opts.limit ?? 200, 500));
  return rows.map(({ request, escalation }) => ({
    ...request,
    operation: request.operation as unknown as GatewayOperation,
    status: wireStatus(request, escalation, nowMs),
    escalationStatus: escalation?.status ?? null,
  }));
}

/** The request behind a denied gateway call (by its event id), for the event's detail. */
export async function findGatewayRequestsByDeniedEvent(
  db: Db,
  authority: Authority,
  keys: readonly { tenant: string; eventId: string }[],
  deps: ClockDeps = {},
): Promise<Map<string, { id: string; status: GatewayEscalationRequestStatus }>> {
  assertCan(authority, "escalations.read");
  const inView = new Set(tenantsInView(authority));
  const wanted = keys.filter((k) => inView.has(k.tenant));
  const out = new Map<string, { id: string; status: GatewayEscalationRequestStatus }>();
  if (wanted.length === 0) return out;
  const nowMs = clockOf(deps).now();
  const rows = await db
    .select({ request: gatewayEscalationRequests, escalation: escalations })
    .from(gatewayEscalationRequests)
    .leftJoin(
      escalations,
      and(
        eq(escalations.tenant, gatewayEscalationRequests.tenant),
        eq(escalations.id, gatewayEscalationRequests.escalationId),
      ),
    )
    .where(
      and(
        inArray(gatewayEscalationRequests.tenant, [...new Set(wanted.map((k) => k.tenant))]),
        inArray(
          gatewayEscalationRequests.deniedEvent,
          wanted.map((k) => k.eventId),
        ),
      ),
    );
  const asked = new Set(wanted.map((k) => `${k.tenant}/${k.eventId}`));
  for (const { request, escalation } of rows) {
    const k = `${request.tenant}/${request.deniedEvent}`;
    if (asked.has(k)) out.set(k, { id: request.id, status: wireStatus(request, escalation, nowMs) });
  }
  return out;
}

async function lockOpen(tx: Executor, authority: Authority, id: string, nowMs: number) {
  const match = eq(gatewayEscalationRequests.id, id);
  const row = await lockRowInScope(tx, {
    table: gatewayEscalationRequests,
    tenants: authority.tenants,
    match,
    what: "escalation request",
    unknown: "Unknown escalation request.",
  });
  if (row.status !== "requested") throw new ConflictError(`This request is already ${row.status}.`);
  if (lapsed(row, nowMs)) throw new ConflictError(LAPSED);
  return row;
}

/**
 * Grants a request: issues an escalation of exactly its operation through issueEscalation
 * (delivery platform, single use, 60 s or the tenant's cap if lower; the two-person rule and the
 * recent sign-in apply as for any escalation), in the same transaction as the request's update.
 */
export async function grantGatewayEscalationRequest(
  db: Db,
  authority: Authority,
  input: z.output<typeof gatewayRequestIdSchema>,
  deps: EscalationDeps,
): Promise<{ id: string; escalation: string; escalationStatus: "pending" | "active" }> {
  assertCan(authority, "escalations.issue");
  const nowMs = clockOf(deps).now();
  return db.transaction(async (tx) => {
    const row = await lockOpen(tx, authority, input.id, nowMs);
    const [t] = await tx
      .select({ settings: tenants.settings })
      .from(tenants)
      .where(eq(tenants.id, row.tenant));
    const ttlSeconds = Math.min(DEFAULT_ESCALATION_TTL_SECONDS, escalationPolicy(t?.settings).maxTtlSeconds);
    const op = row.operation as unknown as GatewayOperation;
    const escalationInput = issueGatewayEscalationSchema.parse({
      tenant: row.tenant,
      principal: row.principal,
      session: row.session,
      agent: row.agent,
      tool: op.tool,
      resourceType: op.resourceType,
      resourceId: op.resourceId,
      action: op.action,
      argDigest: op.argDigest,
      ttlSeconds,
      reason: `Asked for by the gateway (request ${row.id}): ${row.missing}`.slice(0, 1000),
      singleUse: true,
      delivery: "platform",
    });
    // A savepoint inside this transaction: the request and its escalation commit together.
    const issued = await issueEscalation(tx as unknown as Db, authority, escalationInput, deps);
    const now = new Date(nowMs);
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.gateway.request_granted",
        tenants: [row.tenant],
        resource: { type: "GatewayEscalationRequest", id: row.id },
        meta: {
          escalationId: issued.id,
          escalationStatus: issued.status,
          session: row.session,
          operation: op,
        },
        now,
      }),
    );
    await tx
      .update(gatewayEscalationRequests)
      .set({ status: "granted", escalationId: issued.id, decidedBy: authority.email, decidedAt: now })
      .where(and(eq(gatewayEscalationRequests.tenant, row.tenant), eq(gatewayEscalationRequests.id, row.id)));
    return { id: row.id, escalation: issued.id, escalationStatus: issued.status };
  });
}

/** Says no: the gateway reads "dismissed" and keeps refusing the call. */
export async function dismissGatewayEscalationRequest(
  db: Db,
  authority: Authority,
  input: z.output<typeof dismissGatewayRequestSchema>,
  deps: ClockDeps = {},
): Promise<void> {
  assertCan(authority, "escalations.issue");
  const nowMs = clockOf(deps).now();
  await db.transaction(async (tx) => {
    const row = await lockOpen(tx, authority, input.id, nowMs);
    const now = new Date(nowMs);
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.gateway.request_dismissed",
        tenants: [row.tenant],
        reason: input.reason,
        resource: { type: "GatewayEscalationRequest", id: row.id },
        meta: { session: row.session, operation: row.operation },
        now,
      }),
    );
    await tx
      .update(gatewayEscalationRequests)
      .set({ status: "dismissed", decidedBy: authority.email, decidedAt: now })
      .where(and(eq(gatewayEscalationRequests.tenant, row.tenant), eq(gatewayEscalationRequests.id, row.id)));
  });
}
