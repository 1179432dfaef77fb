import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consoleUsers, tenants } from "@/db/schema";
import type { Authority } from "@/lib/auth/authority";
import { loadSessionAuthority, signInWithPassword } from "@/lib/data/console-sessions";
import { insertConsoleUser } from "@/lib/data/console-users";

export const PASSWORD = "correct horse battery staple";

export async function addTenants(db: Db, ids: string[]) {
  await db
    .insert(tenants)
    .values(ids.map((id) => ({ id, name: id })))
    .onConflictDoNothing();
}

/** A real user, signed in through the real password path; returns the authority the guard builds. */
export async function signedIn(
  db: Db,
  user: { email: string; role: Authority["role"]; tenants: string[] },
): Promise<Authority> {
  const [existing] = await db.select().from(consoleUsers).where(eq(consoleUsers.email, user.email));
  if (!existing) await insertConsoleUser(db, { ...user, password: PASSWORD });
  const res = await signInWithPassword(db, {
    email: user.email,
    password: PASSWORD,
    ip: "10.0.0.1",
    userAgent: "vitest",
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.message}`);
  const authority = await loadSessionAuthority(db, { sessionId: res.sessionId, activeTenant: null });
  if (!authority) throw new Error("no authority for a fresh session");
  return authority;
}
