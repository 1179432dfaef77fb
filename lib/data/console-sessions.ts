import "server-only";
import { and, count, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consoleSessions, consoleUsers, loginAttempts } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { dummyPasswordHash, verifyPassword } from "@/lib/auth/password";
import { randomId } from "@/lib/ids";

export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

// Failed sign-ins allowed per window before that account, or that address, must wait.
export const SIGN_IN_LIMITS = { windowMs: 15 * 60 * 1000, perAccount: 5, perIp: 20 } as const;

export type SignInResult =
  | { ok: true; userId: string; email: string; name: string | null; sessionId: string }
  | { ok: false; reason: "invalid" | "rate_limited"; message: string };

const INVALID: SignInResult = { ok: false, reason: "invalid", message: "Invalid email or password." };

async function recentFailures(
  db: Db,
  column: typeof loginAttempts.email | typeof loginAttempts.ip,
  value: string,
) {
  const since = new Date(Date.now() - SIGN_IN_LIMITS.windowMs);
  const [row] = await db
    .select({ n: count() })
    .from(loginAttempts)
    .where(and(eq(column, value), eq(loginAttempts.ok, false), gt(loginAttempts.at, since)));
  return row?.n ?? 0;
}

/** Opens a console session row; its id travels in the JWT and is checked on every request. */
export async function openConsoleSession(
  db: Db,
  args: { userId: string; email: string; tenants: readonly string[]; ip: string; userAgent: string | null },
): Promise<string> {
  const sessionId = randomId();
  await db.transaction(async (tx) => {
    await tx.insert(consoleSessions).values({
      id: sessionId,
      userId: args.userId,
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      ip: args.ip,
      userAgent: args.userAgent?.slice(0, 400) ?? null,
    });
    await tx.update(consoleUsers).set({ lastLoginAt: sql`now()` }).where(eq(consoleUsers.id, args.userId));
    await appendEvents(
      tx,
      consoleEvents({
        actor: { email: args.email, sessionId },
        type: "console.login",
        tenants: args.tenants,
        meta: { ip: args.ip },
      }),
    );
  });
  return sessionId;
}

/**
 * Password sign-in with per-account and per-address rate limits. Unknown, disabled and wrong
 * password all answer the same words, so the form reveals nothing about which emails exist.
 */
export async function signInWithPassword(
  db: Db,
  args: { email: string; password: string; ip: string; userAgent: string | null },
): Promise<SignInResult> {
  const email = args.email.trim().toLowerCase();
  const [byAccount, byIp] = await Promise.all([
    recentFailures(db, loginAttempts.email, email),
    recentFailures(db, loginAttempts.ip, args.ip),
  ]);
  if (byAccount >= SIGN_IN_LIMITS.perAccount || byIp >= SIGN_IN_LIMITS.perIp) {
    const minutes = Math.ceil(SIGN_IN_LIMITS.windowMs / 60_000);
    return {
      ok: false,
      reason: "rate_limited",
      message: `Too many failed sign-ins. Try again in ${minutes} minutes.`,
    };
  }
  const [user] = await db.select().from(consoleUsers).where(eq(consoleUsers.email, email));
  const passwordOk = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), args.password);
  const ok = Boolean(user?.passwordHash && passwordOk && user.disabledAt === null);
  await db.insert(loginAttempts).values({ email, ip: args.ip, ok });
  if (!ok || !user) return INVALID;
  const sessionId = await openConsoleSession(db, {
    userId: user.id,
    email: user.email,
    tenants: user.tenants,
    ip: args.ip,
    userAgent: args.userAgent,
  });
  return { ok: true, userId: user.id, email: user.email, name: user.name, sessionId };
}

// Moved to lib/auth so the guard reads it without importing the data layer (issue 11); the
// re-export keeps this module the one door for sign-in code and the tests.
export { loadSessionAuthority } from "@/lib/auth/session-authority";

/** Ends a session (sign-out). Idempotent; only the session's own id is needed. */
export async function revokeConsoleSession(db: Db, sessionId: string): Promise<void> {
  await db
    .update(consoleSessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(consoleSessions.id, sessionId), isNull(consoleSessions.revokedAt)));
}
