import "server-only";
import { and, arrayOverlaps, asc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import { consoleSessions, consoleUsers, ROLES, tenants as tenantsTable } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { type Authority, assertTenantsInScope, ForbiddenError } from "@/lib/auth/authority";
import { hashPassword, PASSWORD_MIN_LENGTH } from "@/lib/auth/password";
import { assertCan } from "@/lib/auth/permissions";
import { ConflictError, NotFoundError } from "@/lib/errors";

const email = z
  .string({ error: "Email is required." })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: "Enter a valid email address." }));

export const createConsoleUserSchema = z.object({
  email,
  name: z.string().trim().max(200).optional(),
  role: z.enum(ROLES, { error: `Role must be one of ${ROLES.join(", ")}.` }),
  tenants: z
    .array(z.string().trim().min(1).max(64), { error: "Pick at least one tenant." })
    .min(1, { error: "Pick at least one tenant." }),
  // Optional: a user without a password signs in only through OIDC.
  password: z
    .string()
    .min(PASSWORD_MIN_LENGTH, { error: `Password must be at least ${PASSWORD_MIN_LENGTH} characters.` })
    .max(1024)
    .optional(),
});
export type CreateConsoleUserInput = z.input<typeof createConsoleUserSchema>;

export const setRoleSchema = z.object({
  userId: z.uuid({ error: "Unknown user." }),
  role: z.enum(ROLES, { error: `Role must be one of ${ROLES.join(", ")}.` }),
});

export const setDisabledSchema = z.object({
  userId: z.uuid({ error: "Unknown user." }),
  disabled: z.boolean(),
});

export { ConflictError, NotFoundError };

export interface ConsoleUserRow {
  id: string;
  email: string;
  name: string | null;
  role: (typeof ROLES)[number];
  tenants: string[];
  disabled: boolean;
  hasPassword: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
}

/** Users sharing a tenant with the admin; tenants outside the admin's scope are not shown. */
export async function listConsoleUsers(db: Db, authority: Authority): Promise<ConsoleUserRow[]> {
  assertCan(authority, "users.manage");
  const rows = await db
    .select({
      id: consoleUsers.id,
      email: consoleUsers.email,
      name: consoleUsers.name,
      role: consoleUsers.role,
      tenants: consoleUsers.tenants,
      disabledAt: consoleUsers.disabledAt,
      hasPassword: sql<boolean>`${consoleUsers.passwordHash} is not null`,
      createdAt: consoleUsers.createdAt,
      lastLoginAt: consoleUsers.lastLoginAt,
    })
    .from(consoleUsers)
    .where(arrayOverlaps(consoleUsers.tenants, [...authority.tenants]))
    .orderBy(asc(consoleUsers.email));
  return rows.map(({ disabledAt, ...r }) => ({
    ...r,
    tenants: r.tenants.filter((t) => authority.tenants.includes(t)),
    disabled: disabledAt !== null,
  }));
}

async function assertTenantsExist(db: Executor, tenants: readonly string[]) {
  const found = await db.select({ id: tenantsTable.id }).from(tenantsTable);
  const known = new Set(found.map((t) => t.id));
  const missing = tenants.filter((t) => !known.has(t));
  if (missing.length > 0) throw new NotFoundError(`Unknown tenant: ${missing.join(", ")}.`);
}

/** Inserts a user; shared by the Admin page (through createConsoleUser) and the shell CLI. */
export async function insertConsoleUser(
  tx: Executor,
  input: z.output<typeof createConsoleUserSchema>,
): Promise<{ id: string }> {
  await assertTenantsExist(tx, input.tenants);
  const existing = await tx
    .select({ id: consoleUsers.id })
    .from(consoleUsers)
    .where(eq(consoleUsers.email, input.email));
  if (existing.length > 0)
    throw new ConflictError(`A console user with email ${input.email} already exists.`);
  const [row] = await tx
    .insert(consoleUsers)
    .values({
      email: input.email,
      name: input.name || null,
      role: input.role,
      tenants: [...new Set(input.tenants)],
      passwordHash: input.password ? await hashPassword(input.password) : null,
    })
    .returning({ id: consoleUsers.id });
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function createConsoleUser(
  db: Db,
  authority: Authority,
  input: z.output<typeof createConsoleUserSchema>,
): Promise<{ id: string }> {
  assertCan(authority, "users.manage");
  assertTenantsInScope(authority, input.tenants);
  return db.transaction(async (tx) => {
    const created = await insertConsoleUser(tx, input);
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.user.created",
        tenants: input.tenants,
        resource: { type: "ConsoleUser", id: input.email },
        meta: { role: input.role, tenants: input.tenants, passwordSet: Boolean(input.password) },
      }),
    );
    return created;
  });
}

// A target user is manageable only when every tenant of theirs is in the admin's scope:
// otherwise an acme admin could lock out a globex admin.
async function loadManageableUser(tx: Executor, authority: Authority, userId: string) {
  const [user] = await tx.select().from(consoleUsers).where(eq(consoleUsers.id, userId)).for("update");
  if (!user?.tenants.some((t) => authority.tenants.includes(t))) throw new NotFoundError("Unknown user.");
  assertTenantsInScope(authority, user.tenants);
  return user;
}

export async function setConsoleUserRole(
  db: Db,
  authority: Authority,
  input: z.output<typeof setRoleSchema>,
): Promise<void> {
  assertCan(authority, "users.manage");
  if (input.userId === authority.userId) throw new ForbiddenError("You cannot change your own role.");
  await db.transaction(async (tx) => {
    const user = await loadManageableUser(tx, authority, input.userId);
    if (user.role === input.role) return;
    await tx
      .update(consoleUsers)
      .set({ role: input.role, updatedAt: sql`now()` })
      .where(eq(consoleUsers.id, user.id));
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: "console.user.role_changed",
        tenants: user.tenants,
        resource: { type: "ConsoleUser", id: user.email },
        meta: { from: user.role, to: input.role },
      }),
    );
  });
}

export async function setConsoleUserDisabled(
  db: Db,
  authority: Authority,
  input: z.output<typeof setDisabledSchema>,
): Promise<void> {
  assertCan(authority, "users.manage");
  if (input.userId === authority.userId) throw new ForbiddenError("You cannot disable yourself.");
  await db.transaction(async (tx) => {
    const user = await loadManageableUser(tx, authority, input.userId);
    if ((user.disabledAt !== null) === input.disabled) return;
    await tx
      .update(consoleUsers)
      .set({ disabledAt: input.disabled ? sql`now()` : null, updatedAt: sql`now()` })
      .where(eq(consoleUsers.id, user.id));
    if (input.disabled) {
      // Their open sessions end now, not when the cookie expires.
      await tx
        .update(consoleSessions)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(consoleSessions.userId, user.id), isNull(consoleSessions.revokedAt)));
    }
    await appendEvents(
      tx,
      consoleEvents({
        actor: authority,
        type: input.disabled ? "console.user.disabled" : "console.user.enabled",
        tenants: user.tenants,
        resource: { type: "ConsoleUser", id: user.email },
      }),
    );
  });
}
