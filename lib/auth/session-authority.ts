import "server-only";
import { and, eq, gt, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consoleSessions, consoleUsers } from "@/db/schema";
import type { Authority } from "./authority";

// Below lib/data on purpose: the guard turns a session into authority on every request and
// must not import the data layer that takes that authority as an argument.

/**
 * The one definition of a live console session (for a query joining console_sessions to
 * console_users): not signed out, not expired, its user not disabled.
 */
export function liveSession(sessionId: string): SQL | undefined {
  return and(
    eq(consoleSessions.id, sessionId),
    isNull(consoleSessions.revokedAt),
    gt(consoleSessions.expiresAt, sql`now()`),
    isNull(consoleUsers.disabledAt),
  );
}

/** The authority a session id carries right now, or null if it is revoked, expired or disabled. */
export async function loadSessionAuthority(
  db: Db,
  args: { sessionId: string; activeTenant: string | null },
): Promise<Authority | null> {
  const [row] = await db
    .select({
      sessionId: consoleSessions.id,
      authTime: consoleSessions.authTime,
      lastSeenAt: consoleSessions.lastSeenAt,
      userId: consoleUsers.id,
      email: consoleUsers.email,
      name: consoleUsers.name,
      role: consoleUsers.role,
      tenants: consoleUsers.tenants,
    })
    .from(consoleSessions)
    .innerJoin(consoleUsers, eq(consoleUsers.id, consoleSessions.userId))
    .where(liveSession(args.sessionId));
  if (!row) return null;
  // Last activity, written at most once a minute per session.
  await db
    .update(consoleSessions)
    .set({ lastSeenAt: sql`now()` })
    .where(
      and(
        eq(consoleSessions.id, row.sessionId),
        lt(consoleSessions.lastSeenAt, sql`now() - interval '1 minute'`),
      ),
    );
  const activeTenant =
    args.activeTenant && row.tenants.includes(args.activeTenant) ? args.activeTenant : null;
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    tenants: row.tenants,
    activeTenant,
    sessionId: row.sessionId,
    authTime: row.authTime,
  };
}
