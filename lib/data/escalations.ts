import "server-only";
import { randomUUID } from "node:crypto";
import { isPrintable } from "@capability-console/sdk/schema";
import { and, asc, desc, eq, inArray, lte, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import { type Escalation, escalationDeliveryEnum, escalations, events, tenants } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { type Authority, assertTenantsInScope, ForbiddenError, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import type { IssuerKeyPair } from "@/lib/capability";
import { FieldError, ReauthRequiredError } from "@/lib/errors";
import { ConflictError, NotFoundError } from "./console-users";
import {
  type ClockDeps,
  clockOf,
  type EscalationOperation,
  escalationEvent,
  escalationRequestId,
  mintForEscalation,
  recordEscalationCapability,
} from "./escalation-common";
import { lockRowInScope } from "./tenant-lookup";

export const DEFAULT_ESCALATION_TTL_SECONDS = 60;
export const DEFAULT_ESCALATION_MAX_TTL_SECONDS = 300;
/** Issuing or approving an escalation needs a sign-in at most this old. */
export const REAUTH_WINDOW_MS = 5 * 60_000;

/** Refusals that belong to one form field (the tenant's TTL cap), shown beside it. */
export class EscalationFieldError extends FieldError {
  override name = "EscalationFieldError";
}

export { ReauthRequiredError };

// The capability layer's alphabet: these values go into the token's Datalog facts.
const NAME = /^[A-Za-z0-9_.:@/+-]{1,200}$/;
const name = (label: string) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, { error: `${label} is required.` })
    .regex(NAME, { error: `${label} may use letters, digits and _ . : @ / + - only.` });

/**
 * A resource id as events carry it (the wire schema's): any printable text up to 1000
 * characters, kept exactly, since a gateway's resource is often a file path ("/srv/my notes.txt").
 * The token names such an id by capabilityResourceId; a use is checked against the whole id.
 */
export const gatewayResourceIdSchema = z
  .string({ error: "Resource id is required." })
  .min(1, { error: "Resource id is required." })
  .max(1000, { error: "Keep the resource id under 1000 characters." })
  .refine(isPrintable, { error: "Resource id may not contain control characters." });

const issueEscalationFields = z.object({
  tenant: z.string({ error: "Pick a tenant." }).trim().min(1, { error: "Pick a tenant." }),
  principal: name("Principal"),
  session: name("Session").optional(),
  agent: name("Agent").optional(),
  tool: name("Tool"),
  resourceType: name("Resource type"),
  // Whatever a denied call named: "escalate exactly this" must accept every id an event can hold.
  resourceId: gatewayResourceIdSchema,
  action: name("Action"),
  argDigest: z
    .string()
    .trim()
    .regex(/^hmac-sha256:[0-9a-f]{64}$/, { error: "Argument digest must be hmac-sha256:<64 hex>." })
    .optional(),
  ttlSeconds: z.coerce
    .number({ error: "TTL must be a number of seconds." })
    .int({ error: "TTL must be a whole number of seconds." })
    .min(1, { error: "TTL must be at least 1 second." })
    .default(DEFAULT_ESCALATION_TTL_SECONDS),
  reason: z
    .string({ error: "A reason is required." })
    .trim()
    .min(1, { error: "A reason is required." })
    .max(1000, { error: "Keep the reason under 1000 characters." }),
  singleUse: z.boolean().default(true),
  delivery: z.enum(escalationDeliveryEnum.enumValues).default("console"),
});

const forSomeone = <T extends { session?: string; agent?: string }>(v: T) =>
  v.session !== undefined || v.agent !== undefined;
const FOR_SOMEONE = { error: "Give the session (or the agent) the escalation is for.", path: ["session"] };

export const issueEscalationSchema = issueEscalationFields.refine(forSomeone, FOR_SOMEONE);
export type IssueEscalationInput = z.output<typeof issueEscalationSchema>;

/** The same, for an operation a gateway asked for (lib/data/gateway-requests.ts). */
export const issueGatewayEscalationSchema = issueEscalationSchema;

export const escalationIdSchema = z.object({ id: z.uuid({ error: "Unknown escalation." }) });

export interface EscalationDeps extends ClockDeps {
  /** The console's issuer key: escalations are minted with it and nothing else. */
  consoleKey: IssuerKeyPair;
}

export interface IssuedEscalation {
  id: string;
  status: "pending" | "active";
  /** Present exactly once: in this answer, for console delivery. Never stored. */
  token?: string;
  capabilityId?: string;
  expiresAt?: Date;
}

export interface TenantEscalationPolicy {
  maxTtlSeconds: number;
  twoPerson: boolean;
}

export function escalationPolicy(settings: Record<string, unknown> | undefined): TenantEscalationPolicy {
  const max = settings?.escalationMaxTtlSeconds;
  return {
    maxTtlSeconds:
      typeof max === "number" && Number.isInteger(max) && max > 0 && max <= 3600
        ? max
        : DEFAULT_ESCALATION_MAX_TTL_SECONDS,
    twoPerson: settings?.twoPersonEscalations === true,
  };
}

/** The refusal the issue form recognizes to ask for the password in place. */
export const REAUTH_REQUIRED_MESSAGE =
  "Sign in again to confirm it is you: escalations need a sign-in from the last 5 minutes.";

function assertRecentSignIn(authority: Authority, nowMs: number): void {
  if (nowMs - authority.authTime.getTime() > REAUTH_WINDOW_MS)
    throw new ReauthRequiredError(REAUTH_REQUIRED_MESSAGE);
}

async function loadPolicy(tx: Executor, tenant: string): Promise<TenantEscalationPolicy> {
  const [row] = await tx.select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, tenant));
  if (!row) throw new NotFoundError("Unknown tenant.");
  return escalationPolicy(row.settings);
}

/** Mints (console delivery), records the capability, appends escalation.issued. In the caller's tx. */
async function activate(
  tx: Executor,
  row: Escalation,
  deps: EscalationDeps,
  meta: Record<string, unknown>,
): Promise<IssuedEscalation> {
  const now = row.issuedAt as Date;
  const cap = row.delivery === "console" ? await mintForEscalation(row, deps.consoleKey) : undefined;
  // The event first: it takes the tenant's chain lock before anything else is written.
  await appendEvents(tx, [
    escalationEvent({
      row,
      type: "escalation.issued",
      now,
      reason: row.reason,
      capabilityId: cap?.id,
      capabilityHash: cap?.hash,
      meta: {
        ...meta,
        ttlSeconds: row.ttlSeconds,
        singleUse: row.singleUse,
        delivery: row.delivery,
        expiresAt: row.expiresAt?.toISOString(),
      },
    }),
  ]);
  if (cap) {
    await tx
      .update(escalations)
      .set({ tokenHash: cap.hash, capabilityId: cap.id, deliveredAt: now })
      .where(and(eq(escalations.tenant, row.tenant), eq(escalations.id, row.id)));
    await recordEscalationCapability(tx, row, cap, deps.consoleKey.kid);
  }
  return {
    id: row.id,
    status: "active",
    token: cap?.token,
    capabilityId: cap?.id,
    expiresAt: row.expiresAt ?? undefined,
  };
}

/**
 * Issues an escalation for exactly one operation. With the tenant's two-person rule it only
 * records the request (pending, no token). Otherwise the clock starts now and, for console
 * delivery, the token is minted and returned in this answer only: the database keeps its hash.
 * The escalation.issued event commits in the same transaction, or nothing does.
 */
export async function issueEscalation(
  db: Db,
  authority: Authority,
  input: IssueEscalationInput,
  deps: EscalationDeps,
): Promise<IssuedEscalation> {
  assertCan(authority, "escalations.issue");
  assertTenantsInScope(authority, [input.tenant]);
  const nowMs = clockOf(deps).now();
  assertRecentSignIn(authority, nowMs);
  return db.transaction(async (tx) => {
    const policy = await loadPolicy(tx, input.tenant);
    if (input.ttlSeconds > policy.maxTtlSeconds)
      throw new EscalationFieldError(
        "ttlSeconds",
        `This tenant allows escalations of at most ${policy.maxTtlSeconds} seconds.`,
      );
    const now = new Date(nowMs);
    const operation: EscalationOperation = {
      tool: input.tool,
      resourceType: input.resourceType,
      resourceId: input.resourceId,
      action: input.action,
      ...(input.argDigest ? { argDigest: input.argDigest } : {}),
    };
    const pending = policy.twoPerson;
    const base = {
      id: randomUUID(),
      tenant: input.tenant,
      requestedBy: authority.email,
      grantedBy: pending ? null : authority.email,
      principal: input.principal,
      session: input.session ?? null,
      agent: input.agent ?? null,
      operation: operation as unknown as Record<string, unknown>,
      ttlSeconds: input.ttlSeconds,
      reason: input.reason,
      singleUse: input.singleUse,
      delivery: input.delivery,
      status: pending ? ("pending" as const) : ("active" as const),
      requestedAt: now,
      issuedAt: pending ? null : now,
      expiresAt: pending ? null : new Date(nowMs + input.ttlSeconds * 1000),
    };
    const meta = { actor: authority.email, actorSession: authority.sessionId };
    if (pending) {
      await appendEvents(tx, [
        escalationEvent({
          row: base,
          type: "escalation.requested",
          now,
          reason: input.reason,
          meta: {
            ...meta,
            ttlSeconds: input.ttlSeconds,
            singleUse: input.singleUse,
            delivery: input.delivery,
          },
        }),
      ]);
      await tx.insert(escalations).values(base);
      return { id: base.id, status: "pending" };
    }
    const [row] = await tx.insert(escalations).values(base).returning();
    if (!row) throw new Error("insert returned no row");
    return activate(tx, row, deps, meta);
  });
}

/** A request for approval lapses when no second admin has acted on it after this long. */
export const PENDING_MAX_AGE_MS = 30 * 60_000;
const LAPSED = "not approved within 30 minutes";
const LAPSED_MESSAGE =
  "This request lapsed: it was not approved within 30 minutes. Ask again if it is still needed.";

/**
 * Marks the pending escalations of these tenants that waited too long as expired (each with an
 * escalation.expired event), in its own transaction per tenant: a lapse is recorded even when the
 * approval that noticed it is then refused. The tenants with lapsed requests are found without a
 * lock first, so each locking statement names one tenant (docs/scale.md).
 */
async function lapsePending(db: Db, tenantIds: readonly string[], nowMs: number): Promise<void> {
  if (tenantIds.length === 0) return;
  const cutoff = new Date(nowMs - PENDING_MAX_AGE_MS);
  const stalePending = (tenant: SQL | undefined) =>
    and(tenant, eq(escalations.status, "pending"), lte(escalations.requestedAt, cutoff));
  const withStale = await db
    .selectDistinct({ tenant: escalations.tenant })
    .from(escalations)
    .where(stalePending(inArray(escalations.tenant, [...tenantIds])));
  for (const { tenant } of withStale) {
    await db.transaction(async (tx) => {
      const stale = await tx
        .select()
        .from(escalations)
        .where(stalePending(eq(escalations.tenant, tenant)))
        .for("update");
      if (stale.length === 0) return;
      const now = new Date(nowMs);
      await appendEvents(
        tx,
        stale.map((row) =>
          escalationEvent({ row, type: "escalation.expired", now, outcome: "denied", reason: LAPSED }),
        ),
      );
      await tx
        .update(escalations)
        .set({ status: "expired", revokedAt: now, revokeReason: LAPSED })
        .where(
          and(
            eq(escalations.tenant, tenant),
            inArray(
              escalations.id,
              stale.map((r) => r.id),
            ),
          ),
        );
    });
  }
}

/** Locks a pending escalation in the admin's scope, for approval or rejection. */
async function lockPending(
  tx: Executor,
  authority: Authority,
  id: string,
  nowMs: number,
): Promise<Escalation> {
  const match = eq(escalations.id, id);
  const row = await lockRowInScope(tx, {
    table: escalations,
    tenants: authority.tenants,
    match,
    what: "escalation",
    unknown: "Unknown escalation.",
  });
  if (row.status !== "pending")
    throw new ConflictError(
      row.revokeReason === LAPSED
        ? LAPSED_MESSAGE
        : `This escalation is not waiting for approval (it is ${row.status}).`,
    );
  // lapsePending ran first with the same time; this holds even if a caller skipped it.
  if (nowMs - row.requestedAt.getTime() >= PENDING_MAX_AGE_MS) throw new ConflictError(LAPSED_MESSAGE);
  return row;
}

/**
 * The second admin's approval under the two-person rule. The requester cannot approve their own
 * request. The clock starts now; for console delivery the token goes to the approver, once.
 */
export async function approveEscalation(
  db: Db,
  authority: Authority,
  input: z.output<typeof escalationIdSchema>,
  deps: EscalationDeps,
): Promise<IssuedEscalation> {
  assertCan(authority, "escalations.issue");
  const nowMs = clockOf(deps).now();
  assertRecentSignIn(authority, nowMs);
  await lapsePending(db, authority.tenants, nowMs);
  return db.transaction(async (tx) => {
    const row = await lockPending(tx, authority, input.id, nowMs);
    if (row.requestedBy === authority.email)
      throw new ForbiddenError("You asked for this escalation; a second admin has to approve it.");
    // The cap in force now, not at request time: a cap lowered meanwhile binds the approval.
    const policy = await loadPolicy(tx, row.tenant);
    if (row.ttlSeconds > policy.maxTtlSeconds)
      throw new ConflictError(
        `This request asks for ${row.ttlSeconds} seconds; ${row.tenant} now allows at most ${policy.maxTtlSeconds}. Reject it and ask again.`,
      );
    const now = new Date(nowMs);
    const [updated] = await tx
      .update(escalations)
      .set({
        status: "active",
        grantedBy: authority.email,
        issuedAt: now,
        expiresAt: new Date(nowMs + row.ttlSeconds * 1000),
      })
      .where(and(eq(escalations.tenant, row.tenant), eq(escalations.id, row.id)))
      .returning();
    if (!updated) throw new Error("update returned no row");
    return activate(tx, updated, deps, {
      actor: authority.email,
      actorSession: authority.sessionId,
      requestedBy: row.requestedBy,
      approvedBy: authority.email,
    });
  });
}

export async function rejectEscalation(
  db: Db,
  authority: Authority,
  input: z.output<typeof escalationIdSchema> & { reason?: string },
  deps: ClockDeps = {},
): Promise<void> {
  assertCan(authority, "escalations.issue");
  const nowMs = clockOf(deps).now();
  await lapsePending(db, authority.tenants, nowMs);
  await db.transaction(async (tx) => {
    const row = await lockPending(tx, authority, input.id, nowMs);
    const now = new Date(nowMs);
    await appendEvents(tx, [
      escalationEvent({
        row,
        type: "escalation.rejected",
        now,
        outcome: "denied",
        reason: input.reason ?? null,
        meta: { actor: authority.email, actorSession: authority.sessionId, requestedBy: row.requestedBy },
      }),
    ]);
    await tx
      .update(escalations)
      .set({
        status: "rejected",
        grantedBy: authority.email,
        revokedAt: now,
        revokeReason: input.reason ?? null,
      })
      .where(and(eq(escalations.tenant, row.tenant), eq(escalations.id, row.id)));
  });
}

/** One attempt to use a grant, as the console recorded it (escalation.used, allowed or not). */
export interface EscalationUseRow {
  ts: Date;
  outcome: string;
  reason: string | null;
  /** The refusal code (expired, used, revoked, token_mismatch, …) when denied. */
  code: string | null;
  /** The API key's source that made the attempt. */
  source: string | null;
  /** The audit event that recorded the attempt. */
  eventId: string;
}

export type EscalationListRow = Omit<Escalation, "tokenHash" | "operation"> & {
  operation: EscalationOperation;
  /** Every recorded use attempt, in the order the audit log recorded them. */
  uses: EscalationUseRow[];
};

/**
 * Escalations in view, newest first, each with every use attempt: what the Escalations page
 * lists. Never the token hash.
 */
export async function listEscalations(
  db: Db,
  authority: Authority,
  opts: { limit?: number } = {},
): Promise<EscalationListRow[]> {
  assertCan(authority, "escalations.read");
  const scope = tenantsInView(authority);
  const rows = await db
    .select()
    .from(escalations)
    .where(inArray(escalations.tenant, scope))
    .orderBy(desc(escalations.requestedAt))
    .limit(Math.min(opts.limit ?? 200, 500));
  // Keyed by tenant and escalation: ids are only unique within the tenant's own records.
  const uses = new Map<string, EscalationUseRow[]>();
  const keyOf = (tenant: string, escalationId: string) => `${tenant}/${escalationId}`;
  // Attempts the console recorded carry the escalation's request id (esc_<id>); the demo's
  // records of past days name the escalation's capability instead. Platforms cannot post either
  // (ingest refuses escalation.* events).
  const byRequest = new Map(rows.map((r) => [keyOf(r.tenant, escalationRequestId(r.id)), r.id]));
  const byCapability = new Map(
    rows.flatMap((r) => (r.capabilityId ? [[keyOf(r.tenant, r.capabilityId), r.id] as const] : [])),
  );
  if (rows.length > 0) {
    const attempts = await db
      .select({
        id: events.id,
        ts: events.ts,
        tenant: events.tenant,
        request: events.request,
        capabilityId: events.capabilityId,
        outcome: events.outcome,
        reason: events.reason,
        meta: events.meta,
      })
      .from(events)
      .where(
        and(
          inArray(events.tenant, scope),
          eq(events.type, "escalation.used"),
          or(
            inArray(
              events.request,
              rows.map((r) => escalationRequestId(r.id)),
            ),
            byCapability.size > 0
              ? inArray(
                  events.capabilityId,
                  rows.flatMap((r) => (r.capabilityId ? [r.capabilityId] : [])),
                )
              : undefined,
          ),
        ),
      )
      .orderBy(asc(events.ts), asc(events.seq));
    for (const a of attempts) {
      const id =
        (a.request ? byRequest.get(keyOf(a.tenant, a.request)) : undefined) ??
        (a.capabilityId ? byCapability.get(keyOf(a.tenant, a.capabilityId)) : undefined);
      if (!id) continue;
      const meta = (a.meta ?? {}) as { code?: unknown; source?: unknown };
      const key = keyOf(a.tenant, id);
      const list = uses.get(key) ?? [];
      list.push({
        ts: a.ts,
        outcome: a.outcome,
        reason: a.reason,
        code: typeof meta.code === "string" ? meta.code : null,
        source: typeof meta.source === "string" ? meta.source : null,
        eventId: a.id,
      });
      uses.set(key, list);
    }
  }
  return rows.map(({ tokenHash: _hash, ...r }) => ({
    ...r,
    operation: r.operation as unknown as EscalationOperation,
    uses: uses.get(keyOf(r.tenant, r.id)) ?? [],
  }));
}
