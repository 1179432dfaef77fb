import "server-only";
import type {
  EscalationUseDecision,
  EscalationUseRequest,
  PickedUpEscalation,
} from "@capability-console/sdk/schema";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { type Escalation, escalations } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import { decodeToken, type IssuerKeyPair, tokenHash } from "@/lib/capability";
import { uuidv7 } from "@/lib/ids";
import {
  type ClockDeps,
  clockOf,
  type EscalationOperation,
  escalationEvent,
  mintForEscalation,
  operationOf,
  recordEscalationCapability,
} from "./escalation-common";
import { findRevocation } from "./revocations";

// The agent platform's side of escalations, scoped by the tenant its API key fixes: picking up
// tokens for a session, and the single use of a grant.

export interface PlatformScope {
  tenant: string;
  /** The API key's source, recorded in the audit events. */
  source: string;
}

export type { PickedUpEscalation };

/**
 * Active escalations for `session` that wait for the platform (delivery "platform") and were
 * not picked up yet. Each token is minted now, with the issue time and expiry fixed when the
 * escalation was issued, and claimed with a conditional UPDATE: two pick-ups racing get it
 * once between them. The token exists only in this answer; the database keeps its hash.
 */
export async function pickUpEscalations(
  db: Db,
  scope: PlatformScope,
  input: { session: string },
  deps: ClockDeps & { consoleKey: IssuerKeyPair },
): Promise<PickedUpEscalation[]> {
  const now = new Date(clockOf(deps).now());
  const waiting = await db
    .select()
    .from(escalations)
    .where(
      and(
        eq(escalations.tenant, scope.tenant),
        eq(escalations.session, input.session),
        eq(escalations.status, "active"),
        eq(escalations.delivery, "platform"),
        isNull(escalations.deliveredAt),
        gt(escalations.expiresAt, now),
      ),
    );
  const out: PickedUpEscalation[] = [];
  for (const row of waiting) {
    const cap = await mintForEscalation(row, deps.consoleKey);
    const claimed = await db.transaction(async (tx) => {
      const [won] = await tx
        .update(escalations)
        .set({ deliveredAt: now, tokenHash: cap.hash, capabilityId: cap.id })
        .where(
          and(
            eq(escalations.tenant, row.tenant),
            eq(escalations.id, row.id),
            eq(escalations.status, "active"),
            isNull(escalations.deliveredAt),
            gt(escalations.expiresAt, now),
          ),
        )
        .returning();
      if (!won) return false;
      await appendEvents(tx, [
        escalationEvent({
          row: won,
          type: "escalation.delivered",
          now,
          capabilityId: cap.id,
          capabilityHash: cap.hash,
          meta: { source: scope.source },
        }),
      ]);
      await recordEscalationCapability(tx, won, cap, deps.consoleKey.kid);
      return true;
    });
    if (!claimed) continue;
    out.push({
      id: row.id,
      token: cap.token,
      capabilityId: cap.id,
      principal: row.principal,
      session: row.session,
      agent: row.agent,
      operation: operationOf(row),
      singleUse: row.singleUse,
      issuedAt: (row.issuedAt as Date).toISOString(),
      expiresAt: (row.expiresAt as Date).toISOString(),
    });
  }
  return out;
}

export type EscalationUseInput = EscalationUseRequest;

/** What POST /api/v1/escalations/{id}/use answers: the SDK's type, the wire format. */
export type UseDecision = EscalationUseDecision;

const sameOperation = (a: EscalationOperation, b: EscalationOperation) =>
  a.tool === b.tool &&
  a.resourceType === b.resourceType &&
  a.resourceId === b.resourceId &&
  a.action === b.action &&
  (a.argDigest ?? null) === (b.argDigest ?? null);

/** Why an attempt that did not consume the grant was refused; the row is read after the UPDATE. */
function explainDenial(
  row: Escalation | undefined,
  args: { hash: string | null; operation: EscalationOperation; now: Date; revoked: string | undefined },
): Extract<UseDecision, { allowed: false }> {
  if (!row) return { allowed: false, code: "unknown", reason: "no such escalation for this tenant" };
  if (!row.tokenHash || args.hash !== row.tokenHash)
    return { allowed: false, code: "token_mismatch", reason: "the token does not belong to this escalation" };
  if (row.status === "revoked" || args.revoked)
    return { allowed: false, code: "revoked", reason: args.revoked ?? "the escalation was revoked" };
  if (row.status === "used" || (row.singleUse && row.useCount > 0))
    return { allowed: false, code: "used", reason: "single-use escalation already used" };
  if (row.status === "expired" || !row.expiresAt || args.now >= row.expiresAt)
    return { allowed: false, code: "expired", reason: "the escalation has expired" };
  if (!sameOperation(operationOf(row), args.operation))
    return { allowed: false, code: "operation_mismatch", reason: "the operation is not the one granted" };
  return { allowed: false, code: "not_active", reason: `the escalation is ${row.status}` };
}

/**
 * Records one use of an escalation, atomically: the UPDATE matches only an active, unexpired,
 * unrevoked grant with this exact token and operation and, when single-use, no use yet, so
 * of any number of concurrent attempts exactly one consumes it. Every attempt, allowed or not,
 * is an escalation.used event (outcome allowed/denied) in the same transaction. The first
 * attempt at or after expiry marks the escalation expired for good, so a clock set back later
 * cannot reopen it.
 */
export async function recordEscalationUse(
  db: Db,
  scope: PlatformScope,
  input: { id: string } & EscalationUseInput,
  deps: ClockDeps = {},
): Promise<UseDecision> {
  const now = new Date(clockOf(deps).now());
  let hash: string | null = null;
  try {
    hash = tokenHash(decodeToken(input.token));
  } catch {
    hash = null;
  }
  const op: EscalationOperation = {
    tool: input.operation.tool,
    resourceType: input.operation.resourceType,
    resourceId: input.operation.resourceId,
    action: input.operation.action,
    ...(input.operation.argDigest ? { argDigest: input.operation.argDigest } : {}),
  };
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(escalations)
      .where(and(eq(escalations.id, input.id), eq(escalations.tenant, scope.tenant)));
    const revoked = current
      ? await findRevocation(tx, {
          tenant: scope.tenant,
          ids: current.capabilityId ? [current.capabilityId] : [],
          session: current.session ?? undefined,
          principal: current.principal,
        })
      : undefined;
    let used: Escalation | undefined;
    if (current && hash && !revoked && sameOperation(operationOf(current), op)) {
      [used] = await tx
        .update(escalations)
        .set({
          useCount: sql`${escalations.useCount} + 1`,
          usedAt: sql`coalesce(${escalations.usedAt}, ${now.toISOString()}::timestamptz)`,
          status: sql`case when ${escalations.singleUse} then 'used'::escalation_status else ${escalations.status} end`,
        })
        .where(
          and(
            eq(escalations.id, input.id),
            eq(escalations.tenant, scope.tenant),
            eq(escalations.status, "active"),
            eq(escalations.tokenHash, hash),
            gt(escalations.expiresAt, now),
            sql`(not ${escalations.singleUse} or ${escalations.useCount} = 0)`,
          ),
        )
        .returning();
    }
    const meta = { source: scope.source, attemptedAt: now.toISOString() };
    if (used) {
      await appendEvents(tx, [
        escalationEvent({
          row: used,
          type: "escalation.used",
          now,
          capabilityId: used.capabilityId,
          capabilityHash: used.tokenHash,
          meta: { ...meta, useCount: used.useCount },
        }),
      ]);
      return {
        allowed: true as const,
        escalationId: used.id,
        useCount: used.useCount,
        expiresAt: (used.expiresAt as Date).toISOString(),
      };
    }
    // Read again: a concurrent attempt may have consumed it since the first read.
    const [row] = current
      ? await tx
          .select()
          .from(escalations)
          .where(and(eq(escalations.tenant, current.tenant), eq(escalations.id, current.id)))
      : [undefined];
    const denial = explainDenial(row, { hash, operation: op, now, revoked });
    const audit: ChainedContent[] = [];
    if (row && denial.code === "expired" && row.status === "active") {
      const [flipped] = await tx
        .update(escalations)
        .set({ status: "expired" })
        .where(
          and(
            eq(escalations.tenant, row.tenant),
            eq(escalations.id, row.id),
            eq(escalations.status, "active"),
          ),
        )
        .returning({ id: escalations.id });
      if (flipped) audit.push(escalationEvent({ row, type: "escalation.expired", now, meta }));
    }
    audit.unshift(
      row
        ? escalationEvent({
            row,
            type: "escalation.used",
            now,
            outcome: "denied",
            reason: denial.reason,
            capabilityId: row.capabilityId,
            meta: { ...meta, code: denial.code },
          })
        : {
            id: uuidv7(now.getTime()),
            ts: now,
            tenant: scope.tenant,
            type: "escalation.used",
            outcome: "denied",
            reason: denial.reason,
            meta: { ...meta, code: denial.code, escalationId: input.id },
          },
    );
    await appendEvents(tx, audit);
    return denial;
  });
}
