import "server-only";
import { and, desc, inArray, max, or, type SQLWrapper, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { sessions } from "@/db/schema";
import { type Authority, assertTenantsInScope, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";

// The escalation form's search (issue 12, point 4): the admin types part of a principal, a
// session id or an agent and picks the session, instead of copying an id off the Sessions page.
// Admin-only (it serves the issue form), scoped to the admin's tenants, at most SEARCH_LIMIT rows.

export const SEARCH_LIMIT = 10;

export const escalationTargetQuerySchema = z.object({
  kind: z.enum(["session", "principal"], { error: "Search sessions or principals." }),
  q: z
    .string({ error: "Type part of a session, principal or agent." })
    .trim()
    .max(200, { error: "Keep the search under 200 characters." }),
  tenant: z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((t) => t || undefined),
});
export type EscalationTargetQuery = { kind: "session" | "principal"; q: string; tenant?: string };

export interface SessionMatch {
  kind: "session";
  tenant: string;
  session: string;
  principal: string;
  agent: string | null;
  /** Last activity (or the start), ISO. */
  lastSeen: string;
}

export interface PrincipalMatch {
  kind: "principal";
  tenant: string;
  principal: string;
  sessions: number;
  lastSeen: string;
}

export type EscalationTargetMatch = SessionMatch | PrincipalMatch;

/** `%`, `_` and `\` typed by the admin are literal characters, not patterns. */
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Sessions (or principals) of the admin's tenants whose id, principal or agent contains `q`,
 * newest activity first. An empty `q` lists the newest. The tenant narrows the search when given
 * (and must be one of the admin's); otherwise the tenants in view.
 */
export async function searchEscalationTargets(
  db: Db,
  authority: Authority,
  input: EscalationTargetQuery,
): Promise<EscalationTargetMatch[]> {
  assertCan(authority, "escalations.issue");
  if (input.tenant) assertTenantsInScope(authority, [input.tenant]);
  const scope = input.tenant ? [input.tenant] : tenantsInView(authority);
  if (scope.length === 0) return [];
  const pattern = contains(input.q);
  const like = (col: SQLWrapper) => sql`${col} ilike ${pattern} escape '\\'`;
  const seen = sql<Date>`coalesce(${sessions.lastSeenAt}, ${sessions.startedAt})`;
  if (input.kind === "session") {
    const rows = await db
      .select({
        tenant: sessions.tenant,
        session: sessions.id,
        principal: sessions.principal,
        agent: sessions.agent,
        lastSeen: seen,
      })
      .from(sessions)
      .where(
        and(
          inArray(sessions.tenant, scope),
          input.q
            ? or(like(sessions.id), like(sessions.principal), like(sql`coalesce(${sessions.agent}, '')`))
            : undefined,
        ),
      )
      .orderBy(desc(seen), desc(sessions.id))
      .limit(SEARCH_LIMIT);
    return rows.map((r) => ({ kind: "session", ...r, lastSeen: new Date(r.lastSeen).toISOString() }));
  }
  const last = max(seen);
  const rows = await db
    .select({
      tenant: sessions.tenant,
      principal: sessions.principal,
      sessions: sql<number>`count(*)::int`,
      lastSeen: last,
    })
    .from(sessions)
    .where(and(inArray(sessions.tenant, scope), input.q ? like(sessions.principal) : undefined))
    .groupBy(sessions.tenant, sessions.principal)
    .orderBy(desc(last), sessions.principal)
    .limit(SEARCH_LIMIT);
  return rows.map((r) => ({
    kind: "principal",
    tenant: r.tenant,
    principal: r.principal,
    sessions: Number(r.sessions),
    lastSeen: new Date(r.lastSeen ?? 0).toISOString(),
  }));
}
