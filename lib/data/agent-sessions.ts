import "server-only";
import { asc, desc, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { type Session, sessions } from "@/db/schema";
import { type Authority, assertRole, tenantsInView } from "@/lib/auth/authority";

/** Agent sessions in view for the Sessions page: open ones first, by principal, latest activity first. */
export async function listAgentSessions(
  db: Db,
  authority: Authority,
  opts: { limit?: number } = {},
): Promise<Session[]> {
  assertRole(authority, ["investigator", "admin"]);
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
