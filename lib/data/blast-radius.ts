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
