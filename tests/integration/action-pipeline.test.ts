import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { Database } from "@/db/client";
import { consoleUsers, events } from "@/db/schema";
import type { Authority } from "@/lib/auth/authority";
import { backends } from "../support/db";
import { addTenants, PASSWORD, signedIn } from "../support/fixtures";
import { actAs, sessionCookie } from "../support/next-request";

// Issue 11: the one action pipeline (lib/actions/pipeline.ts), through the real guard, the real
// session cookie and real actions: authorize before parsing, fieldErrors naming the field, a
// generic message for the unexpected (logged on the server), and nothing done without a record.

const { SECRET, revalidated } = vi.hoisted(() => {
  const secret = "action-pipeline-secret-0123456789abcdef";
  process.env.NEXTAUTH_SECRET = secret;
  return { SECRET: secret, revalidated: [] as string[] };
});

vi.mock("next/headers", async () => (await import("../support/next-request")).nextHeaders);
vi.mock("next/navigation", async () => (await import("../support/next-request")).nextNavigation);
vi.mock("next/cache", async () => ({
  ...(await import("../support/next-request")).nextCache,
  revalidatePath: (path: string) => revalidated.push(path),
}));

const holder = globalThis as typeof globalThis & { __consoleDb?: Promise<Database> };

const { defineAction } = await import("@/lib/actions/pipeline");
const { setConsoleUserRoleAction, createConsoleUserAction } = await import("@/app/(console)/admin/actions");

/** Fails the audit write of one console event type, as a full disk or a broken chain would. */
async function breakAuditOf(database: Database, type: string) {
  await database.db.execute(
    sql.raw(`create or replace function cc_test_refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit store unavailable'; end $$`),
  );
  await database.db.execute(
    sql.raw(`create trigger cc_test_refuse_audit before insert on events for each row
      when (new.type = '${type}') execute function cc_test_refuse_audit()`),
  );
}

describe.each(backends)("the action pipeline on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let viewer: Authority;
  let target: Authority;
  const jars: Record<"admin" | "viewer", Record<string, string>> = { admin: {}, viewer: {} };

  beforeAll(async () => {
    database = await backend.open();
    holder.__consoleDb = Promise.resolve(database);
    await addTenants(database.db, ["acme"]);
    admin = await signedIn(database.db, { email: "admin@acme.test", role: "admin", tenants: ["acme"] });
    viewer = await signedIn(database.db, { email: "viewer@acme.test", role: "viewer", tenants: ["acme"] });
    target = await signedIn(database.db, { email: "target@acme.test", role: "viewer", tenants: ["acme"] });
    for (const [who, a] of [
      ["admin", admin],
      ["viewer", viewer],
    ] as const)
      jars[who] = await sessionCookie({
        sessionId: a.sessionId,
        userId: a.userId,
        email: a.email,
        secret: SECRET,
      });
  });

  afterEach(() => {
    revalidated.length = 0;
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    holder.__consoleDb = undefined;
    await database?.close();
  });

  const roleOf = async (userId: string) =>
    (
      await database.db
        .select({ role: consoleUsers.role })
        .from(consoleUsers)
        .where(eq(consoleUsers.id, userId))
    )[0]?.role;

  it("refuses a role without the permission before it parses anything", async () => {
    const safeParse = vi.fn(() => ({ success: true as const, data: {} }));
    actAs(jars.viewer);
    // The real action: a malformed input from a viewer gets the refusal, not a hint about fields.
    const real = await setConsoleUserRoleAction({ userId: "not-a-uuid", role: "superuser" });
    expect(real).toEqual({ ok: false, error: "You are not allowed to do that." });
    const spied = defineAction({
      permission: "users.manage",
      schema: { safeParse } as unknown as z.ZodType,
      what: "probe",
      run: async () => "ran",
    });
    expect(await spied({})).toEqual({ ok: false, error: "You are not allowed to do that." });
    expect(safeParse).not.toHaveBeenCalled();
    actAs({});
    expect(await spied({})).toEqual({ ok: false, error: "Your session has ended. Sign in again." });
    expect(safeParse).not.toHaveBeenCalled();
    expect(revalidated).toEqual([]);
  });

  it("answers bad input with fieldErrors naming the field, and echoes a form's values", async () => {
    actAs(jars.admin);
    const res = await setConsoleUserRoleAction({ userId: target.userId, role: "superuser" });
    expect(res.ok).toBe(false);
    expect(!res.ok && res.fieldErrors).toEqual({
      role: ["Role must be one of viewer, investigator, admin."],
    });
    const form = new FormData();
    for (const [k, v] of Object.entries({
      email: "not-an-email",
      role: "viewer",
      tenants: "acme",
      password: PASSWORD,
    }))
      form.append(k, v);
    const created = await createConsoleUserAction(null, form);
    expect(created.ok).toBe(false);
    expect(!created.ok && Object.keys(created.fieldErrors ?? {})).toEqual(["email"]);
    expect(created.values).toEqual({ email: "not-an-email", name: "", role: "viewer", tenants: ["acme"] });
    expect(JSON.stringify(created)).not.toContain(PASSWORD);
    expect(await roleOf(target.userId)).toBe("viewer");
    expect(revalidated).toEqual([]);
  });

  it("runs, revalidates after a success, and shows a known refusal in its own words", async () => {
    actAs(jars.admin);
    expect(await setConsoleUserRoleAction({ userId: target.userId, role: "investigator" })).toEqual({
      ok: true,
      data: undefined,
    });
    expect(await roleOf(target.userId)).toBe("investigator");
    expect(revalidated).toEqual(["/admin"]);
    revalidated.length = 0;
    expect(await setConsoleUserRoleAction({ userId: admin.userId, role: "viewer" })).toEqual({
      ok: false,
      error: "You cannot change your own role.",
    });
    expect(revalidated).toEqual([]);
  });

  it("logs an unexpected error on the server and shows a message that leaks nothing", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const secret = new Error('relation "acme_internal_table" does not exist at 10.0.0.5:5432');
    const failing = defineAction({
      permission: "users.manage",
      schema: z.object({ id: z.string() }),
      what: "do the probe",
      run: async () => {
        throw secret;
      },
      revalidate: ["/admin"],
    });
    actAs(jars.admin);
    const res = await failing({ id: "x" });
    expect(res).toEqual({ ok: false, error: "Could not do the probe. Nothing was changed; try again." });
    expect(logged).toHaveBeenCalledWith("[action] do the probe failed:", secret);
    expect(revalidated).toEqual([]);
  });

  it("fails the action when its audit write fails: nothing done without a record", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await breakAuditOf(database, "console.user.role_changed");
    try {
      actAs(jars.admin);
      const before = await roleOf(target.userId);
      const res = await setConsoleUserRoleAction({ userId: target.userId, role: "admin" });
      expect(res).toEqual({ ok: false, error: "Could not change the role. Nothing was changed; try again." });
      expect(JSON.stringify(res)).not.toContain("audit store unavailable");
      expect(logged).toHaveBeenCalledOnce();
      // The change rolled back with its audit record.
      expect(await roleOf(target.userId)).toBe(before);
      const records = await database.db
        .select({ type: events.type })
        .from(events)
        .where(eq(events.type, "console.user.role_changed"));
      expect(records).toHaveLength(1); // the successful change of the test before, no more
      expect(revalidated).toEqual([]);
    } finally {
      await database.db.execute(sql.raw("drop trigger cc_test_refuse_audit on events"));
    }
  });
});
