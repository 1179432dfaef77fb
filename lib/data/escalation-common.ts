import "server-only";
import type { EscalationOperation } from "@capability-console/sdk/schema";
import type { Executor } from "@/db/client";
import { capabilities, type Escalation } from "@/db/schema";
import type { ChainedContent } from "@/lib/audit/chain";
import { CONTENT_VERSION_ERASABLE } from "@/lib/audit/subjects";
import {
  type Capability,
  type Clock,
  capabilityResourceId,
  type IssuerKeyPair,
  mintEscalation,
  systemClock,
} from "@/lib/capability";
import { uuidv7 } from "@/lib/ids";
import { addCapabilities } from "@/lib/ingest/capability-counts";

// Shared by the console side (lib/data/escalations.ts, lib/data/revocations.ts) and the
// platform side (lib/data/escalation-uses.ts) of escalations.

// The one operation an escalation grants, as stored in escalations.operation: the SDK's type
// (the SDK's wire schema, packages/sdk/src/schema/wire.ts), one definition for both sides.
export type { EscalationOperation };

export interface ClockDeps {
  /** Every expiry decision reads this, never Date.now(), so tests can stand on the boundary. */
  clock?: Clock;
}

export const clockOf = (deps: ClockDeps | undefined): Clock => deps?.clock ?? systemClock;

/** Placeholder for a session or agent the escalation does not name (a token needs every fact). */
export const UNSPECIFIED = "-";

export const escalationRequestId = (id: string) => `esc_${id}`;

export function operationOf(row: Pick<Escalation, "operation">): EscalationOperation {
  return row.operation as unknown as EscalationOperation;
}

/**
 * Mints the escalation's token with the console key. Issue time and expiry come from the row,
 * fixed when the escalation was issued (or approved): minting later, at pick-up, never moves
 * the expiry, whatever the clock says then.
 */
export async function mintForEscalation(row: Escalation, consoleKey: IssuerKeyPair): Promise<Capability> {
  if (!row.issuedAt || !row.expiresAt) throw new Error("escalation has no issue time");
  const issuedAtMs = row.issuedAt.getTime();
  const ttlMs = row.expiresAt.getTime() - issuedAtMs;
  const op = operationOf(row);
  return mintEscalation({
    issuer: consoleKey,
    tenant: row.tenant,
    principal: row.principal,
    agent: row.agent ?? UNSPECIFIED,
    session: row.session ?? UNSPECIFIED,
    request: escalationRequestId(row.id),
    // A gateway's resource may be a file path: the token names it by capabilityResourceId (the
    // row keeps the whole id, and a use is checked against the whole operation).
    operation: { resource: op.resourceType, action: op.action, id: capabilityResourceId(op.resourceId) },
    ttlMs,
    maxTtlMs: ttlMs,
    clock: { now: () => issuedAtMs },
  });
}

/** The capability row for a minted escalation token: its hash and summary, never the token. */
export async function recordEscalationCapability(
  tx: Executor,
  row: Escalation,
  cap: Capability,
  issuerKid: string,
): Promise<void> {
  const inserted = await tx
    .insert(capabilities)
    .values({
      id: cap.id,
      tenant: row.tenant,
      tokenHash: cap.hash,
      rootId: cap.id,
      ancestors: [],
      depth: 0,
      issuerKid,
      principal: row.principal,
      agent: row.agent,
      session: row.session,
      request: escalationRequestId(row.id),
      summary: cap.summary() as unknown as Record<string, unknown>,
      kind: "escalation",
      issuedAt: row.issuedAt,
      expiresAt: row.expiresAt,
    })
    .onConflictDoNothing()
    .returning({ id: capabilities.id });
  await addCapabilities(tx, row.tenant, inserted.length);
}

/** An escalation.* event about one escalation, for its tenant's audit chain. */
export function escalationEvent(args: {
  row: Pick<Escalation, "id" | "tenant" | "principal" | "agent" | "session" | "operation">;
  type: `escalation.${string}`;
  now: Date;
  outcome?: "allowed" | "denied";
  reason?: string | null;
  capabilityId?: string | null;
  capabilityHash?: string | null;
  meta?: Record<string, unknown>;
}): ChainedContent {
  const op = operationOf(args.row);
  return {
    id: uuidv7(args.now.getTime()),
    ts: args.now,
    tenant: args.row.tenant,
    type: args.type,
    principal: args.row.principal,
    agent: args.row.agent,
    session: args.row.session,
    request: escalationRequestId(args.row.id),
    tool: op.tool,
    action: op.action,
    resourceType: op.resourceType,
    resourceId: op.resourceId,
    inputDigest: op.argDigest ?? null,
    outcome: args.outcome ?? "allowed",
    reason: args.reason ?? null,
    capabilityId: args.capabilityId ?? null,
    capabilityHash: args.capabilityHash ?? null,
    meta: { escalationId: args.row.id, ...args.meta },
    // Erasable (lib/audit/subjects.ts): it names the person the escalation is for.
    contentVersion: CONTENT_VERSION_ERASABLE,
  };
}
