import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { consoleSessions, consoleUsers } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import type { Authority } from "@/lib/auth/authority";
import { dummyPasswordHash, verifyPassword } from "@/lib/auth/password";
import { FieldError, UserError } from "@/lib/errors";
import { reserveAttempt, settleAttempt } from "./sign-in-limit";

// Re-authentication in place (issue 12, point 4): the escalation actions want a sign-in from the
// last 5 minutes (REAUTH_WINDOW_MS in escalations.ts). Rather than sending the admin to the sign-in
// page (and losing the form), the page asks for the password and this moves the session's
// auth_time to now. The same limits as sign-in (login_attempts, reserved before the password is
// looked at) and the same audit: console.reauth, allowed or denied, in the user's tenants.

export const reauthSchema = z.object({
  password: z
    .string({ error: "Enter your password." })
    .min(1, { error: "Enter your password." })
    .max(1000, { error: "Enter your password." }),
});

export const WRONG_PASSWORD = "That is not your password. Try again.";

function waitText(retryAfterMs: number): string {
  const seconds = Math.ceil(retryAfterMs / 1000);
  return seconds > 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
}

/**
 * Confirms the signed-in user's password and renews their session's auth time. Wrong password:
 * a FieldError on `password` (counted against the sign-in limits and recorded). Over the limits:
 * a UserError saying how long to wait; the password is then not checked at all.
 */
export async function reauthenticate(
  db: Db,
  authority: Authority,
  input: { password: string; ip: string },
): Promise<{ authTime: Date }> {
  const email = authority.email.trim().toLowerCase();
  const slot = await reserveAttempt(db, { email, ip: input.ip });
  if (!slot.ok) throw new UserError(`Too many failed sign-ins. Try again in ${waitText(slot.retryAfterMs)}.`);
  const [user] = await db
    .select({ passwordHash: consoleUsers.passwordHash, disabledAt: consoleUsers.disabledAt })
    .from(consoleUsers)
    .where(eq(consoleUsers.id, authority.userId));
  if (user && !user.passwordHash)
    throw new UserError(
      "Your account signs in through single sign-on: sign out and sign in again to confirm it is you.",
    );
  const ok =
    (await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password)) &&
    user?.disabledAt === null;
  const audit = (outcome: "allowed" | "denied") =>
    consoleEvents({
      actor: authority,
      type: "console.reauth",
      tenants: authority.tenants,
      outcome,
      ...(outcome === "denied" ? { reason: "wrong password" } : {}),
      meta: { ip: input.ip },
    });
  if (!ok) {
    await db.transaction((tx) => appendEvents(tx, audit("denied")));
    throw new FieldError("password", WRONG_PASSWORD);
  }
  await settleAttempt(db, slot.attemptId);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(consoleSessions)
      .set({ authTime: sql`now()` })
      .where(and(eq(consoleSessions.id, authority.sessionId), isNull(consoleSessions.revokedAt)))
      .returning({ authTime: consoleSessions.authTime });
    if (!row) throw new UserError("Your session has ended. Sign in again.");
    await appendEvents(tx, audit("allowed"));
    return { authTime: row.authTime };
  });
}
