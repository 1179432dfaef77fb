import "server-only";
import {
  and,
  arrayContains,
  count,
  countDistinct,
  eq,
  gt,
  inArray,
  isNull,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { capabilities, escalations, events, sessions } from "@/db/schema";
import { type Authority, assertTenantsInScope } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { NotFoundError } from "./console-users";
import { type ClockDeps, clockOf } from "./escalation-common";
import { lookupTenants, oneRow } from "./tenant-lookup";

export type RevokeTarget =
  | { kind: "session"; session: string; tenant?: string }
  | { kind: "capability"; capabilityId: string; tenant?: string }
  | { kind: "escalation"; escalationId: string }
  | { kind: "principal"; tenant: string; principal: string };

export interface BlastRadius {
  tenant: string;
  /** Live (unexpired, unrevoked) capabilities the revocation cuts: the target and its descendants. */
  liveCapabilities: number;
  /** Unrevoked sessions that lose authority. */
  sessions: number;
  /** Pending or active escalations the revocation ends. */
  escalations: number;
  /** tool.call events in the last hour under what is cut. */
  callsLastHour: number;
}

const HOUR_MS = 60 * 60_000;

// A capability is live when it has not expired and no revocation of its tenant cuts it: none
// lists it or an ancestor, and its session and principal are not revoked.
function liveCapability(now: Date): SQL {
  return sql`(${capabilities.expiresAt} is null or ${capabilities.expiresAt} > ${now.toISOString()}::timestamptz)
    and not exists (
      select 1 from revocations r
      where r.tenant = ${capabilities.tenant}
        and (r.revoked_ids && array_append(${capabilities.ancestors}, ${capabilities.id})
          or (r.kind = 'session' and r.target = ${capabilities.session})
          or (r.kind = 'principal' and r.target = ${capabilities.principal})))`;
}

/**
 * What a revocation would cut, shown before the admin confirms it. Counts only; the target is
 * looked up inside the admin's scope and is "unknown" otherwise.
 */
export async function getBlastRadius(
  db: Db,
  authority: Authority,
  target: RevokeTarget,
  deps: ClockDeps = {},
): Promise<BlastRadius> {
  assertCan(authority, "sessions.revoke");
  const now = new Date(clockOf(deps).now());
  const since = new Date(now.getTime() - HOUR_MS);
  const scope = [...authority.tenants];

  let tenant: string;
  let capWhere: SQL | undefined;
  let callWhere: SQL | undefined;
  let escWhere: SQL | undefined;
  let sessionCount: (() => Promise<number>) | undefined;
  switch (target.kind) {
    case "session": {
      const s = oneRow(
        await db
          .select()
          .from(sessions)
          .where(
            and(
              eq(sessions.id, target.session),
              inArray(sessions.tenant, lookupTenants(authority, target.tenant)),
            ),
          ),
        "session",
      );
      tenant = s.tenant;
      capWhere = eq(capabilities.session, s.id);
      callWhere = eq(events.session, s.id);
      escWhere = eq(escalations.session, s.id);
      sessionCount = async () => (s.revokedAt ? 0 : 1);
      break;
    }
    case "principal": {
      assertTenantsInScope(authority, [target.tenant]);
      tenant = target.tenant;
      capWhere = eq(capabilities.principal, target.principal);
      callWhere = eq(events.principal, target.principal);
      escWhere = eq(escalations.principal, target.principal);
      sessionCount = async () => {
        const [r] = await db
          .select({ n: count() })
          .from(sessions)
          .where(
            and(
              eq(sessions.tenant, tenant),
              eq(sessions.principal, target.principal),
              isNull(sessions.revokedAt),
            ),
          );
        return r?.n ?? 0;
      };
      break;
    }
    case "capability": {
      const id = target.capabilityId.toLowerCase();
      const c = oneRow(
        await db
          .select({ tenant: capabilities.tenant })
          .from(capabilities)
          .where(
            and(
              eq(capabilities.id, id),
              inArray(capabilities.tenant, lookupTenants(authority, target.tenant)),
            ),
          ),
        "capability",
      );
      tenant = c.tenant;
      capWhere = or(eq(capabilities.id, id), arrayContains(capabilities.ancestors, [id]));
      callWhere = inArray(
        events.capabilityId,
        db
          .select({ id: capabilities.id })
          .from(capabilities)
          .where(and(eq(capabilities.tenant, tenant), capWhere)),
      );
      escWhere = eq(escalations.capabilityId, id);
      break;
    }
    case "escalation": {
      const [e] = await db
        .select()
        .from(escalations)
        .where(and(eq(escalations.id, target.escalationId), inArray(escalations.tenant, scope)));
      if (!e) throw new NotFoundError("Unknown escalation.");
      tenant = e.tenant;
      // A minted escalation is its own root; one that waits for approval or pick-up has no token.
      capWhere = e.capabilityId ? eq(capabilities.id, e.capabilityId) : sql`false`;
      callWhere = e.capabilityId ? eq(events.capabilityId, e.capabilityId) : sql`false`;
      escWhere = eq(escalations.id, e.id);
      break;
    }
  }

  const [caps, calls, escs] = await Promise.all([
    db
      .select({ n: count(), sessions: countDistinct(capabilities.session) })
      .from(capabilities)
      .where(and(eq(capabilities.tenant, tenant), capWhere, liveCapability(now))),
    db
      .select({ n: count() })
      .from(events)
      .where(and(eq(events.tenant, tenant), eq(events.type, "tool.call"), gt(events.ts, since), callWhere)),
    db
      .select({ n: count() })
      .from(escalations)
      .where(
        and(
          eq(escalations.tenant, tenant),
          escWhere,
          inArray(escalations.status, ["pending", "active"]),
          or(isNull(escalations.expiresAt), gt(escalations.expiresAt, now)),
        ),
      ),
  ]);
  return {
    tenant,
    liveCapabilities: caps[0]?.n ?? 0,
    sessions: sessionCount
      ? await sessionCount()
      : target.kind === "escalation"
        ? 0
        : (caps[0]?.sessions ?? 0),
    escalations: escs[0]?.n ?? 0,
    callsLastHour: calls[0]?.n ?? 0,
  };
}

// --- Arriving from "Revoke…" on another page (issue 12, point 4) ---------------------------

const linkIdent = (label: string) =>
  z
    .string({ error: `The link names no ${label}.` })
    .trim()
    .min(1, { error: `The link names no ${label}.` })
    .max(200, { error: `The link's ${label} is too long.` });

/** revokeHref's parameters (lib/links.ts), as /revocations reads them. */
export const revokeLinkSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("session"), tenant: linkIdent("tenant"), session: linkIdent("session") }),
  z.object({ kind: z.literal("principal"), tenant: linkIdent("tenant"), principal: linkIdent("principal") }),
  z.object({
    kind: z.literal("capability"),
    tenant: linkIdent("tenant"),
    capability: linkIdent("capability").regex(/^[0-9a-f]+$/i, {
      error: "The link's capability id is not hex.",
    }),
  }),
]);
export type RevokeLink = z.output<typeof revokeLinkSchema>;

export interface RevokePreview {
  target:
    | {
        kind: "session";
        tenant: string;
        session: string;
        principal: string;
        agent: string | null;
        revoked: boolean;
      }
    | { kind: "principal"; tenant: string; principal: string }
    | { kind: "capability"; tenant: string; capabilityId: string; principal: string | null; live: boolean };
  radius: BlastRadius;
}

/**
 * What a revoke link points at and what revoking it would cut, for the preview it opens. Reads
 * only. A target that does not exist and one in a tenant outside the admin's scope answer the same
 * NotFoundError, so the link reveals nothing about other tenants.
 */
export async function previewRevokeLink(
  db: Db,
  authority: Authority,
  link: RevokeLink,
  deps: ClockDeps = {},
): Promise<RevokePreview> {
  assertCan(authority, "sessions.revoke");
  const tenants = lookupTenants(authority, link.tenant);
  const unknown = (what: string) => new NotFoundError(`No ${what} with that id in your tenants.`);
  if (tenants.length === 0) throw unknown(link.kind);
  const tenant = link.tenant;
  if (link.kind === "session") {
    const [s] = await db
      .select()
      .from(sessions)
      .where(and(eq(sessions.tenant, tenant), eq(sessions.id, link.session)));
    if (!s) throw unknown("session");
    const radius = await getBlastRadius(db, authority, { kind: "session", tenant, session: s.id }, deps);
    return {
      target: {
        kind: "session",
        tenant,
        session: s.id,
        principal: s.principal,
        agent: s.agent,
        revoked: s.revokedAt !== null,
      },
      radius,
    };
  }
  if (link.kind === "principal") {
    const [known] = await db
      .select({ n: count() })
      .from(sessions)
      .where(and(eq(sessions.tenant, tenant), eq(sessions.principal, link.principal)));
    const [cap] = known?.n
      ? [undefined]
      : await db
          .select({ id: capabilities.id })
          .from(capabilities)
          .where(and(eq(capabilities.tenant, tenant), eq(capabilities.principal, link.principal)))
          .limit(1);
    if (!known?.n && !cap) throw unknown("principal");
    const radius = await getBlastRadius(
      db,
      authority,
      { kind: "principal", tenant, principal: link.principal },
      deps,
    );
    return { target: { kind: "principal", tenant, principal: link.principal }, radius };
  }
  const id = link.capability.toLowerCase();
  const [c] = await db
    .select({ id: capabilities.id, principal: capabilities.principal })
    .from(capabilities)
    .where(and(eq(capabilities.tenant, tenant), eq(capabilities.id, id)));
  if (!c) throw unknown("capability");
  const radius = await getBlastRadius(db, authority, { kind: "capability", tenant, capabilityId: id }, deps);
  return {
    target: {
      kind: "capability",
      tenant,
      capabilityId: id,
      principal: c.principal,
      live: radius.liveCapabilities > 0,
    },
    radius,
  };
}
