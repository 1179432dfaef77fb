import { asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { consoleUsers, events } from "@/db/schema";
import { chainHash, contentHash, GENESIS_HASH } from "@/lib/audit/chain";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import { loadSessionAuthority } from "@/lib/data/console-sessions";
import {
  createConsoleUser,
  listConsoleUsers,
  NotFoundError,
  setConsoleUserDisabled,
  setConsoleUserRole,
} from "@/lib/data/console-users";
import { backends } from "../support/db";
import { addTenants, PASSWORD, signedIn } from "../support/fixtures";

describe.each(backends)("console users on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let acmeAdmin: Authority;
  let investigator: Authority;
  let viewer: Authority;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    admin = await signedIn(database.db, { email: "root@x.test", role: "admin", tenants: ["acme", "globex"] });
    acmeAdmin = await signedIn(database.db, { email: "acme-admin@x.test", role: "admin", tenants: ["acme"] });
    investigator = await signedIn(database.db, {
      email: "inv@x.test",
      role: "investigator",
      tenants: ["acme", "globex"],
    });
    viewer = await signedIn(database.db, { email: "viewer@x.test", role: "viewer", tenants: ["acme"] });
  });
  afterAll(() => database.close());

  const newUser = (email: string, tenants = ["acme"]) => ({
    email,
    role: "viewer" as const,
    tenants,
    password: PASSWORD,
  });

  it("denies every write and the listing to viewers and investigators, changing nothing", async () => {
    const before = await database.db.select().from(consoleUsers);
    for (const who of [viewer, investigator]) {
      await expect(createConsoleUser(database.db, who, newUser("nope@x.test"))).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      await expect(listConsoleUsers(database.db, who)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        setConsoleUserRole(database.db, who, { userId: viewer.userId, role: "admin" }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        setConsoleUserDisabled(database.db, who, { userId: admin.userId, disabled: true }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await database.db.select().from(consoleUsers)).toEqual(before);
  });

  it("keeps an admin inside their tenants", async () => {
    await expect(createConsoleUser(database.db, acmeAdmin, newUser("g@x.test", ["globex"]))).rejects.toThrow(
      "outside your scope",
    );
    // A user who also belongs to globex is not the acme admin's to change.
    await expect(
      setConsoleUserDisabled(database.db, acmeAdmin, { userId: investigator.userId, disabled: true }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const listed = await listConsoleUsers(database.db, acmeAdmin);
    expect(listed.flatMap((u) => u.tenants)).not.toContain("globex");
    expect(listed.map((u) => u.email)).toContain("inv@x.test");
  });

  it("hides users who share no tenant with the admin", async () => {
    await createConsoleUser(database.db, admin, newUser("globex-only@x.test", ["globex"]));
    const listed = await listConsoleUsers(database.db, acmeAdmin);
    expect(listed.map((u) => u.email)).not.toContain("globex-only@x.test");
    const [g] = await database.db
      .select()
      .from(consoleUsers)
      .where(eq(consoleUsers.email, "globex-only@x.test"));
    await expect(
      setConsoleUserRole(database.db, acmeAdmin, { userId: g?.id ?? "", role: "admin" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("creates, re-roles and disables a user; disabling ends their sessions at once", async () => {
    const { id } = await createConsoleUser(database.db, admin, newUser("new@x.test"));
    await setConsoleUserRole(database.db, admin, { userId: id, role: "investigator" });
    const session = await signedIn(database.db, {
      email: "new@x.test",
      role: "investigator",
      tenants: ["acme"],
    });
    expect(session.role).toBe("investigator");
    await setConsoleUserDisabled(database.db, admin, { userId: id, disabled: true });
    expect(
      await loadSessionAuthority(database.db, { sessionId: session.sessionId, activeTenant: null }),
    ).toBeNull();
    await expect(createConsoleUser(database.db, admin, newUser("new@x.test"))).rejects.toThrow(
      "already exists",
    );
  });

  it("refuses to let an admin change or disable themselves", async () => {
    await expect(
      setConsoleUserDisabled(database.db, admin, { userId: admin.userId, disabled: true }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      setConsoleUserRole(database.db, admin, { userId: admin.userId, role: "viewer" }),
    ).rejects.toThrow();
  });

  it("records every admin change as a console.* event on an unbroken per-tenant hash chain", async () => {
    const rows = await database.db
      .select()
      .from(events)
      .where(inArray(events.tenant, ["acme", "globex"]))
      .orderBy(asc(events.tenant), asc(events.seq));
    const types = new Set(rows.map((r) => r.type));
    for (const t of [
      "console.login",
      "console.user.created",
      "console.user.role_changed",
      "console.user.disabled",
    ]) {
      expect(types).toContain(t);
    }
    const byTenant = new Map<string, typeof rows>();
    for (const r of rows) byTenant.set(r.tenant, [...(byTenant.get(r.tenant) ?? []), r]);
    for (const [tenant, chain] of byTenant) {
      let prev = GENESIS_HASH;
      chain.forEach((row, i) => {
        expect(row.seq).toBe(i + 1);
        expect(row.prevHash).toBe(prev);
        expect(row.contentHash).toBe(contentHash(row));
        expect(row.hash).toBe(
          chainHash({ tenant, seq: row.seq, prevHash: prev, contentHash: row.contentHash }),
        );
        prev = row.hash;
      });
    }
    const disabled = rows.find((r) => r.type === "console.user.disabled");
    expect(disabled).toMatchObject({
      principal: "root@x.test",
      resourceId: "new@x.test",
      outcome: "allowed",
    });
  });
});
