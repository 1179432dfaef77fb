import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consoleSessions, consoleUsers } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { dummyPasswordHash, verifyPassword } from "@/lib/auth/password";
import { liveSession } from "@/lib/auth/session-authority";
import { randomId } from "@/lib/ids";
import { reserveAttempt, settleAttempt } from "./sign-in-limit";

export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export { SIGN_IN_LIMITS } from "./sign-in-limit";

export type SignInResult =
  | { ok: true; userId: string; email: string; name: string | null; sessionId: string }
  | { ok: false; reason: "invalid"; message: string }
  | { ok: false; reason: "rate_limited"; message: string; retryAfterMs: number };

const INVALID: SignInResult = { ok: false, reason: "invalid", message: "Invalid email or password." };

function rateLimited(retryAfterMs: number): SignInResult {
  const seconds = Math.ceil(retryAfterMs / 1000);
  const wait = seconds > 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
  return {
    ok: false,
    reason: "rate_limited",
    message: `Too many failed sign-ins. Try again in ${wait}.`,
    retryAfterMs,
  };
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
  // The slot is taken (and counted as a failure) before the password is checked, so
  // concurrent guesses cannot all slip past the count.
  const slot = await reserveAttempt(db, { email, ip: args.ip });
  if (!slot.ok) return rateLimited(slot.retryAfterMs);
  const [user] = await db.select().from(consoleUsers).where(eq(consoleUsers.email, email));
  const passwordOk = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), args.password);
  const ok = Boolean(user?.passwordHash && passwordOk && user.disabledAt === null);
  if (!ok || !user) return INVALID;
  await settleAttempt(db, slot.attemptId);
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

/** Whether a session is still live: not signed out, not expired, its user not disabled. */
export async function isConsoleSessionLive(db: Db, sessionId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: consoleSessions.id })
    .from(consoleSessions)
    .innerJoin(consoleUsers, eq(consoleUsers.id, consoleSessions.userId))
    .where(liveSession(sessionId));
  return row !== undefined;
}

/** Ends a session (sign-out). Idempotent; only the session's own id is needed. */
export async function revokeConsoleSession(db: Db, sessionId: string): Promise<void> {
  await db
    .update(consoleSessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(consoleSessions.id, sessionId), isNull(consoleSessions.revokedAt)));
}
