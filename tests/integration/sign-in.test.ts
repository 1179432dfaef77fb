import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { consoleSessions, consoleUsers, events } from "@/db/schema";
import {
  loadSessionAuthority,
  revokeConsoleSession,
  SIGN_IN_LIMITS,
  signInWithPassword,
} from "@/lib/data/console-sessions";
import { insertConsoleUser } from "@/lib/data/console-users";
import { demoCredentialsPath, seedDemo } from "@/scripts/seed-demo";
import { backends } from "../support/db";
import { addTenants, PASSWORD } from "../support/fixtures";

describe.each(backends)("sign-in and console sessions on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    for (const email of ["a@x.test", "b@x.test", "c@x.test", "d@x.test"]) {
      await insertConsoleUser(database.db, {
        email,
        role: "investigator",
        tenants: ["acme"],
        password: PASSWORD,
      });
    }
  });
  afterAll(() => database.close());

  const attempt = (email: string, password: string, ip = "192.0.2.1") =>
    signInWithPassword(database.db, { email, password, ip, userAgent: "vitest" });

  it("opens a session for the right password, whatever the email's case", async () => {
    const res = await attempt("  A@X.test ", PASSWORD);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const authority = await loadSessionAuthority(database.db, {
      sessionId: res.sessionId,
      activeTenant: "acme",
    });
    expect(authority).toMatchObject({
      email: "a@x.test",
      role: "investigator",
      tenants: ["acme"],
      activeTenant: "acme",
    });
  });

  it("answers unknown email and wrong password with the same words", async () => {
    const wrong = await attempt("b@x.test", "not the password");
    const unknown = await attempt("nobody@x.test", PASSWORD);
    expect(wrong).toEqual({ ok: false, reason: "invalid", message: "Invalid email or password." });
    expect(unknown).toEqual(wrong);
  });

  it("ignores an active tenant outside the user's scope", async () => {
    const res = await attempt("a@x.test", PASSWORD);
    if (!res.ok) throw new Error("sign-in failed");
    const authority = await loadSessionAuthority(database.db, {
      sessionId: res.sessionId,
      activeTenant: "globex",
    });
    expect(authority?.activeTenant).toBeNull();
  });

  it("locks one address out of an account, and backs the account off elsewhere without locking it", async () => {
    for (let i = 0; i < SIGN_IN_LIMITS.perAccountAndAddress; i++) {
      expect((await attempt("c@x.test", `wrong ${i}`, "198.51.100.1")).ok).toBe(false);
    }
    // That address is out of that account, even with the right password.
    expect(await attempt("c@x.test", PASSWORD, "198.51.100.1")).toMatchObject({
      ok: false,
      reason: "rate_limited",
    });
    // Another address waits out a short back-off at most, then gets in.
    const elsewhere = await attempt("c@x.test", PASSWORD, "198.51.100.2");
    if (!elsewhere.ok) {
      expect(elsewhere).toMatchObject({ reason: "rate_limited" });
      if (elsewhere.reason !== "rate_limited") return;
      expect(elsewhere.retryAfterMs).toBeLessThanOrEqual(SIGN_IN_LIMITS.backoffCapMs);
      await new Promise((r) => setTimeout(r, elsewhere.retryAfterMs + 50));
      expect((await attempt("c@x.test", PASSWORD, "198.51.100.2")).ok).toBe(true);
    }
    // Another account is unaffected.
    expect((await attempt("d@x.test", PASSWORD, "198.51.100.1")).ok).toBe(true);
  });

  it("rate-limits one address spraying many accounts", async () => {
    const ip = "203.0.113.9";
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++) await attempt(`spray${i}@x.test`, "guess", ip);
    expect(await attempt("d@x.test", PASSWORD, ip)).toMatchObject({ ok: false, reason: "rate_limited" });
    expect((await attempt("d@x.test", PASSWORD, "203.0.113.10")).ok).toBe(true);
  });

  it("rejects a session after sign-out, after expiry, and when the user is disabled", async () => {
    const open = async () => {
      const res = await attempt("d@x.test", PASSWORD, "192.0.2.77");
      if (!res.ok) throw new Error(res.message);
      return res.sessionId;
    };
    const load = (sessionId: string) => loadSessionAuthority(database.db, { sessionId, activeTenant: null });

    const signedOut = await open();
    expect(await load(signedOut)).not.toBeNull();
    await revokeConsoleSession(database.db, signedOut);
    expect(await load(signedOut)).toBeNull();

    const expired = await open();
    await database.db
      .update(consoleSessions)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(consoleSessions.id, expired));
    expect(await load(expired)).toBeNull();

    const live = await open();
    await database.db
      .update(consoleUsers)
      .set({ disabledAt: new Date() })
      .where(eq(consoleUsers.email, "d@x.test"));
    expect(await load(live)).toBeNull();
    expect(await attempt("d@x.test", PASSWORD, "192.0.2.78")).toMatchObject({ ok: false, reason: "invalid" });
  });

  it("records each sign-in as a console.login event", async () => {
    const logins = await database.db.select().from(events).where(eq(events.type, "console.login"));
    expect(logins.length).toBeGreaterThanOrEqual(4);
    expect(logins.every((e) => e.tenant === "acme" && e.outcome === "allowed")).toBe(true);
  });
});

describe.each(backends)("demo seed on $name", (backend) => {
  it("seeds once, writes the credentials with mode 0600, and never re-seeds", async () => {
    const database = await backend.open();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-seed-"));
    try {
      const creds = await seedDemo(database.db, dir);
      expect(creds?.users.map((u) => u.role).sort()).toEqual(["admin", "investigator", "viewer"]);
      expect(creds?.apiKeys.map((k) => k.tenant).sort()).toEqual(["acme", "globex"]);
      const file = demoCredentialsPath(dir);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(creds);
      for (const u of creds?.users ?? []) {
        const res = await signInWithPassword(database.db, {
          email: u.email,
          password: u.password,
          ip: "x",
          userAgent: null,
        });
        expect(res.ok).toBe(true);
      }
      expect(await seedDemo(database.db, dir)).toBeNull();
      // The stored password hashes are argon2id, never the password itself.
      const stored = await database.db.select({ h: consoleUsers.passwordHash }).from(consoleUsers);
      expect(stored.every((r) => r.h?.startsWith("$argon2id$"))).toBe(true);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
