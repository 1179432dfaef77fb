import "server-only";
import { and, arrayContains, desc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import { capabilities, escalations, type Revocation, revocations, sessions, tenants } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import { type Authority, assertTenantsInScope, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { createRevocationList, type RevocationList, revocationReason } from "@/lib/capability";
import { uuidv7 } from "@/lib/ids";
import { ConflictError, NotFoundError } from "./console-users";
import { type ClockDeps, clockOf, escalationEvent } from "./escalation-common";
import { lockRowInScope, lookupTenants, oneRow } from "./tenant-lookup";
import { nextFeedCursor } from "./verifier-feed";

// Revoking sessions, capabilities (with every known descendant), escalations and principals.
// Lock order, the same in every writer here and in escalation-uses.ts, so no two deadlock:
// escalation rows, then the tenant's chain head (appendEvents), then sessions, capabilities
// and the revocation row. Ingest takes the chain head before sessions and capabilities too.
// The revocation row comes after appendEvents: the feed's cursors then commit in order (see
// listRevocationsSince).

const reason = z
  .string({ error: "A reason is required." })
  .trim()
  .min(1, { error: "A reason is required." })
  .max(1000, { error: "Keep the reason under 1000 characters." });
const ident = (label: string) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, { error: `${label} is required.` })
    .max(200, { error: `${label} is too long.` });

// Session and capability ids are unique per tenant only: the tenant is needed when the id exists
// in several of the admin's tenants (the Sessions page always sends it).
const tenantOf = ident("Tenant").optional();
export const revokeSessionSchema = z.object({ tenant: tenantOf, session: ident("Session"), reason });
export const revokeCapabilitySchema = z.object({
  tenant: tenantOf,
  capabilityId: ident("Capability").regex(/^[0-9a-f]+$/i, { error: "A capability id is hex." }),
  reason,
});
export const revokeEscalationSchema = z.object({
  escalationId: z.uuid({ error: "Unknown escalation." }),
  reason,
});
export const revokePrincipalSchema = z.object({
  tenant: ident("Tenant"),
  principal: ident("Principal"),
  reason,
});

// RevokeTarget lives in blast-radius.ts, which imports nothing back from here (no cycle).
export type { RevokeTarget } from "./blast-radius";

export const blastRadiusTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("session"), session: ident("Session"), tenant: tenantOf }),
  z.object({ kind: z.literal("capability"), capabilityId: ident("Capability"), tenant: tenantOf }),
  z.object({ kind: z.literal("escalation"), escalationId: z.uuid({ error: "Unknown escalation." }) }),
  z.object({ kind: z.literal("principal"), tenant: ident("Tenant"), principal: ident("Principal") }),
]);

export interface RevokeResult {
  cursor: number;
  tenant: string;
  revokedIds: string[];
}

/** The revocations that cut a token with these block ids, session and principal, as a list. */
export async function revocationListFor(
  tx: Executor,
  subject: { tenant: string; ids: readonly string[]; session?: string; principal?: string },
): Promise<RevocationList> {
  const ids = [...subject.ids];
  const rows = await tx
    .select({ kind: revocations.kind, target: revocations.target, revokedIds: revocations.revokedIds })
    .from(revocations)
    .where(
      and(
        eq(revocations.tenant, subject.tenant),
        or(
          ids.length
            ? and(inArray(revocations.kind, ["capability", "escalation"]), inArray(revocations.target, ids))
            : undefined,
          sql`${revocations.revokedIds} && ${sql.param(ids)}::text[]`,
          subject.session !== undefined
            ? and(eq(revocations.kind, "session"), eq(revocations.target, subject.session))
            : undefined,
          subject.principal !== undefined
            ? and(eq(revocations.kind, "principal"), eq(revocations.target, subject.principal))
            : undefined,
        ),
      ),
    );
  const list = createRevocationList();
  for (const r of rows) {
    if (r.kind === "session") list.revokeSession(r.target);
    else if (r.kind === "principal") list.revokePrincipal(r.target);
    else if (r.kind === "capability") list.revokeCapability(r.target);
    for (const id of r.revokedIds) list.revokeCapability(id);
  }
  return list;
}

/** Why a token with these facts is revoked, or undefined. `ids` in block order, root first. */
export async function findRevocation(
  tx: Executor,
  subject: { tenant: string; ids: readonly string[]; session?: string; principal?: string },
): Promise<string | undefined> {
  const list = await revocationListFor(tx, subject);
  return revocationReason(
    { revocationIds: subject.ids, session: subject.session, principal: subject.principal },
    list,
  );
}

function revocationEvent(args: {
  authority: Authority;
  type: "session.revoked" | "capability.revoked" | "principal.revoked";
  tenant: string;
  now: Date;
  reason: string;
  principal?: string | null;
  agent?: string | null;
  session?: string | null;
  capabilityId?: string | null;
  capabilityHash?: string | null;
  meta?: Record<string, unknown>;
}): ChainedContent {
  return {
    id: uuidv7(args.now.getTime()),
    ts: args.now,
    tenant: args.tenant,
    type: args.type,
    principal: args.principal ?? null,
    agent: args.agent ?? null,
    session: args.session ?? null,
    action: "revoke",
    outcome: "allowed",
    reason: args.reason,
    capabilityId: args.capabilityId ?? null,
    capabilityHash: args.capabilityHash ?? null,
    meta: { actor: args.authority.email, actorSession: args.authority.sessionId, ...args.meta },
  };
}

/** Locks one tenant's open escalations a revocation also ends (first in the lock order). */
async function lockOpenEscalations(
  tx: Executor,
  tenant: string,
  where: ReturnType<typeof and>,
): Promise<{ tenant: string; ids: string[] }> {
  const rows = await tx
    .select({ id: escalations.id })
    .from(escalations)
    .where(and(eq(escalations.tenant, tenant), where, inArray(escalations.status, ["pending", "active"])))
    .for("update");
  return { tenant, ids: rows.map((r) => r.id) };
}

async function endEscalations(
  tx: Executor,
  open: { tenant: string; ids: string[] },
  authority: Authority,
  why: string,
  now: Date,
) {
  if (open.ids.length === 0) return;
  await tx
    .update(escalations)
    .set({ status: "revoked", revokedAt: now, revokedBy: authority.email, revokeReason: why })
    .where(and(eq(escalations.tenant, open.tenant), inArray(escalations.id, open.ids)));
}

/** The feed entry; every caller ran appendEvents first, so it holds the tenant's chain head. */
async function insertRevocation(
  tx: Executor,
  row: Pick<Revocation, "tenant" | "kind" | "target" | "reason" | "actor" | "at" | "revokedIds">,
): Promise<number> {
  const [r] = await tx
    .insert(revocations)
    .values({
      ...row,
      cursor: nextFeedCursor(row.tenant),
    })
    .returning({ cursor: revocations.cursor });
  if (!r) throw new Error("insert returned no row");
  return r.cursor;
}

/** Revokes one agent session: its row, its open escalations, and a feed entry for verifiers. */
export async function revokeSession(
  db: Db,
  authority: Authority,
  input: z.output<typeof revokeSessionSchema>,
  deps: ClockDeps = {},
): Promise<RevokeResult> {
  assertCan(authority, "sessions.revoke");
  const now = new Date(clockOf(deps).now());
  return db.transaction(async (tx) => {
    const s = oneRow(
      await tx
        .select()
        .from(sessions)
        .where(
          and(
            eq(sessions.id, input.session),
            inArray(sessions.tenant, lookupTenants(authority, input.tenant)),
          ),
        ),
      "session",
    );
    // Only the console's own revocation counts here; a platform's report (reported_*) does not.
    if (s.revokedAt) throw new ConflictError("That session is already revoked.");
    const open = await lockOpenEscalations(tx, s.tenant, eq(escalations.session, s.id));
    await appendEvents(tx, [
      revocationEvent({
        authority,
        type: "session.revoked",
        tenant: s.tenant,
        now,
        reason: input.reason,
        principal: s.principal,
        agent: s.agent,
        session: s.id,
        meta: { escalationsEnded: open.ids.length },
      }),
    ]);
    const done = await tx
      .update(sessions)
      .set({ revokedAt: now, revokedBy: authority.email, revokeReason: input.reason })
      .where(and(eq(sessions.tenant, s.tenant), eq(sessions.id, s.id), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    if (done.length === 0) throw new ConflictError("That session is already revoked.");
    await endEscalations(tx, open, authority, input.reason, now);
    const cursor = await insertRevocation(tx, {
      tenant: s.tenant,
      kind: "session",
      target: s.id,
      reason: input.reason,
      actor: authority.email,
      at: now,
      revokedIds: [],
    });
    return { cursor, tenant: s.tenant, revokedIds: [] };
  });
}

/** Revokes a capability and, in the same feed entry, every descendant the console knows of. */
export async function revokeCapability(
  db: Db,
  authority: Authority,
  input: z.output<typeof revokeCapabilitySchema>,
  deps: ClockDeps = {},
): Promise<RevokeResult> {
  assertCan(authority, "sessions.revoke");
  const now = new Date(clockOf(deps).now());
  const id = input.capabilityId.toLowerCase();
  return db.transaction(async (tx) => {
    const c = oneRow(
      await tx
        .select()
        .from(capabilities)
        .where(
          and(eq(capabilities.id, id), inArray(capabilities.tenant, lookupTenants(authority, input.tenant))),
        ),
      "capability",
    );
    const already = await findRevocation(tx, { tenant: c.tenant, ids: [...c.ancestors, c.id] });
    if (already) throw new ConflictError(`That capability is already revoked (${already}).`);
    const open = await lockOpenEscalations(tx, c.tenant, eq(escalations.capabilityId, c.id));
    const descendants = await tx
      .select({ id: capabilities.id })
      .from(capabilities)
      .where(and(eq(capabilities.tenant, c.tenant), arrayContains(capabilities.ancestors, [c.id])));
    const revokedIds = [c.id, ...descendants.map((d) => d.id).sort()];
    await appendEvents(tx, [
      revocationEvent({
        authority,
        type: "capability.revoked",
        tenant: c.tenant,
        now,
        reason: input.reason,
        principal: c.principal,
        agent: c.agent,
        session: c.session,
        capabilityId: c.id,
        capabilityHash: c.tokenHash,
        meta: { descendants: descendants.length, escalationsEnded: open.ids.length },
      }),
    ]);
    await endEscalations(tx, open, authority, input.reason, now);
    const cursor = await insertRevocation(tx, {
      tenant: c.tenant,
      kind: "capability",
      target: c.id,
      reason: input.reason,
      actor: authority.email,
      at: now,
      revokedIds,
    });
    return { cursor, tenant: c.tenant, revokedIds };
  });
}

/** Revokes one escalation, pending or active; its token (if one was minted) enters the feed. */
export async function revokeEscalation(
  db: Db,
  authority: Authority,
  input: z.output<typeof revokeEscalationSchema>,
  deps: ClockDeps = {},
): Promise<RevokeResult> {
  assertCan(authority, "escalations.issue");
  const now = new Date(clockOf(deps).now());
  return db.transaction(async (tx) => {
    const match = eq(escalations.id, input.escalationId);
    const e = await lockRowInScope(tx, {
      table: escalations,
      tenants: authority.tenants,
      match,
      what: "escalation",
      unknown: "Unknown escalation.",
    });
    if (e.status !== "pending" && e.status !== "active")
      throw new ConflictError(`That escalation is already ${e.status}.`);
    await appendEvents(tx, [
      escalationEvent({
        row: e,
        type: "escalation.revoked",
        now,
        reason: input.reason,
        capabilityId: e.capabilityId,
        capabilityHash: e.tokenHash,
        meta: { actor: authority.email, actorSession: authority.sessionId, was: e.status },
      }),
    ]);
    await endEscalations(tx, { tenant: e.tenant, ids: [e.id] }, authority, input.reason, now);
    const revokedIds = e.capabilityId ? [e.capabilityId] : [];
    const cursor = await insertRevocation(tx, {
      tenant: e.tenant,
      kind: "escalation",
      target: e.id,
      reason: input.reason,
      actor: authority.email,
      at: now,
      revokedIds,
    });
    return { cursor, tenant: e.tenant, revokedIds };
  });
}

/** Revokes a person in one tenant: every session of theirs, open escalations, and their tokens. */
export async function revokePrincipal(
  db: Db,
  authority: Authority,
  input: z.output<typeof revokePrincipalSchema>,
  deps: ClockDeps = {},
): Promise<RevokeResult & { sessions: number }> {
  assertCan(authority, "sessions.revoke");
  assertTenantsInScope(authority, [input.tenant]);
  const now = new Date(clockOf(deps).now());
  return db.transaction(async (tx) => {
    const [t] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, input.tenant));
    if (!t) throw new NotFoundError("Unknown tenant.");
    const [prior] = await tx
      .select({ cursor: revocations.cursor })
      .from(revocations)
      .where(
        and(
          eq(revocations.tenant, input.tenant),
          eq(revocations.kind, "principal"),
          eq(revocations.target, input.principal),
        ),
      );
    if (prior) throw new ConflictError("That principal is already revoked.");
    const open = await lockOpenEscalations(tx, input.tenant, eq(escalations.principal, input.principal));
    await appendEvents(tx, [
      revocationEvent({
        authority,
        type: "principal.revoked",
        tenant: input.tenant,
        now,
        reason: input.reason,
        principal: input.principal,
        meta: { escalationsEnded: open.ids.length },
      }),
    ]);
    const cut = await tx
      .update(sessions)
      .set({ revokedAt: now, revokedBy: authority.email, revokeReason: input.reason })
      .where(
        and(
          eq(sessions.tenant, input.tenant),
          eq(sessions.principal, input.principal),
          isNull(sessions.revokedAt),
        ),
      )
      .returning({ id: sessions.id });
    await endEscalations(tx, open, authority, input.reason, now);
    const cursor = await insertRevocation(tx, {
      tenant: input.tenant,
      kind: "principal",
      target: input.principal,
      reason: input.reason,
      actor: authority.email,
      at: now,
      revokedIds: [],
    });
    return { cursor, tenant: input.tenant, revokedIds: [], sessions: cut.length };
  });
}

export { type BlastRadius, getBlastRadius } from "./blast-radius";

export interface RevocationListRow {
  cursor: number;
  tenant: string;
  kind: Revocation["kind"];
  target: string;
  reason: string;
  actor: string;
  at: Date;
  /** How many capability ids the entry cut (the capability and its known descendants). */
  cut: number;
  revokedIds: string[];
}

/** The revocation feed as the Revocations page shows it: who, why, what it cut; newest first. */
export async function listRevocations(
  db: Db,
  authority: Authority,
  opts: { limit?: number } = {},
): Promise<RevocationListRow[]> {
  assertCan(authority, "revocations.read");
  const rows = await db
    .select()
    .from(revocations)
    .where(inArray(revocations.tenant, tenantsInView(authority)))
    .orderBy(desc(revocations.cursor))
    .limit(Math.min(opts.limit ?? 200, 500));
  return rows.map((r) => ({
    cursor: r.cursor,
    tenant: r.tenant,
    kind: r.kind,
    target: r.target,
    reason: r.reason,
    actor: r.actor,
    at: r.at,
    cut: r.revokedIds.length,
    revokedIds: r.revokedIds.slice(0, 50),
  }));
}
