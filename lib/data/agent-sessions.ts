import "server-only";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { revocations, type Session, sessions } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";

export type SessionState =
  | { state: "open" }
  /** The console revoked it: in the verifier feed, under the console user who did it. */
  | { state: "revoked"; label: string; reason: string | null }
  /** Only a platform said so (ingest): shown as the platform's report, still revocable here. */
  | { state: "reported"; label: string; reason: string | null };

/**
 * How the Sessions page names a session's state. A platform's report never appears under a
 * console user's name, whatever its meta.actor said: it is labelled with the ingest key's source.
 */
export function sessionState(
  s: Pick<
    Session,
    "revokedAt" | "revokedBy" | "revokeReason" | "reportedRevokedAt" | "reportedBy" | "reportedReason"
  >,
): SessionState {
  if (s.revokedAt) return { state: "revoked", label: `revoked by ${s.revokedBy}`, reason: s.revokeReason };
  if (s.reportedRevokedAt)
    return {
      state: "reported",
      label: `reported by platform ${s.reportedBy ?? "unknown"}`,
      reason: s.reportedReason,
    };
  return { state: "open" };
}

/** Agent sessions in view for the Sessions page: open ones first, by principal, latest activity first. */
export async function listAgentSessions(
  db: Db,
  authority: Authority,
  opts: { limit?: number } = {},
): Promise<Session[]> {
  assertCan(authority, "sessions.read");
  return db
    .select()
    .from(sessions)
    .where(inArray(sessions.tenant, tenantsInView(authority)))
    .orderBy(
      sql`${sessions.revokedAt} is not null`,
      asc(sessions.tenant),
      asc(sessions.principal),
      desc(sessions.lastSeenAt),
    )
    .limit(Math.min(opts.limit ?? 300, 1000));
}

export interface PrincipalRow {
  tenant: string;
  principal: string;
  openSessions: number;
  /** The console's principal revocation, when there is one ("left the company"). */
  revoked: { at: Date; by: string; reason: string } | null;
}

/**
 * Every person with agent sessions in view, with their open sessions and whether the console
 * revoked them: the Sessions page's "Revoke a person" list. A revoked person stays listed (with
 * who revoked them and why), so the admin sees the result of what they did.
 */
export async function listSessionPrincipals(db: Db, authority: Authority): Promise<PrincipalRow[]> {
  assertCan(authority, "sessions.read");
  const scope = tenantsInView(authority);
  const [people, revoked] = await Promise.all([
    db
      .select({
        tenant: sessions.tenant,
        principal: sessions.principal,
        open: sql<number>`count(*) filter (where ${sessions.revokedAt} is null)::int`,
      })
      .from(sessions)
      .where(inArray(sessions.tenant, scope))
      .groupBy(sessions.tenant, sessions.principal)
      .orderBy(asc(sessions.tenant), asc(sessions.principal))
      .limit(1000),
    db
      .select({
        tenant: revocations.tenant,
        target: revocations.target,
        at: revocations.at,
        actor: revocations.actor,
        reason: revocations.reason,
      })
      .from(revocations)
      .where(and(inArray(revocations.tenant, scope), eq(revocations.kind, "principal")))
      .orderBy(asc(revocations.at)),
  ]);
  const byKey = new Map(revoked.map((r) => [`${r.tenant}/${r.target}`, r]));
  return people
    .filter((p): p is typeof p & { principal: string } => p.principal !== null)
    .map((p) => {
      const r = byKey.get(`${p.tenant}/${p.principal}`);
      return {
        tenant: p.tenant,
        principal: p.principal,
        openSessions: p.open,
        revoked: r ? { at: r.at, by: r.actor, reason: r.reason } : null,
      };
    });
}
