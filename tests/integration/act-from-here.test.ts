import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import { consoleSessions, escalations, events, loginAttempts, revocations, sessions } from "@/db/schema";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import { previewRevokeLink, revokeLinkSchema } from "@/lib/data/blast-radius";
import { loadSessionAuthority } from "@/lib/data/console-sessions";
import { escalationPhase } from "@/lib/data/escalation-live";
import { SEARCH_LIMIT, searchEscalationTargets } from "@/lib/data/escalation-targets";
import { issueEscalation, issueEscalationSchema, ReauthRequiredError } from "@/lib/data/escalations";
import { reauthenticate, WRONG_PASSWORD } from "@/lib/data/reauthenticate";
import { SIGN_IN_LIMITS } from "@/lib/data/sign-in-limit";
import { FieldError, NotFoundError, UserError } from "@/lib/errors";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends } from "../support/db";
import { addTenants, PASSWORD, signedIn } from "../support/fixtures";
import { actAs, installNextHeadersForRequire, sessionCookie } from "../support/next-request";

// Issue 12, point 4: the escalation form's session/principal search, the password
// re-authentication in place, and the Escalations page's live state feed, through the data layer
// and through the real actions and route handler (the real guard reading a session cookie).

const SECRET = vi.hoisted(() => {
  const secret = "act-from-here-secret-0123456789abcdef";
  process.env.NEXTAUTH_SECRET = secret;
  process.env.NEXTAUTH_URL = "http://console.test";
  return secret;
});

vi.mock("next/headers", async () => (await import("../support/next-request")).nextHeaders);
vi.mock("next/cache", async () => (await import("../support/next-request")).nextCache);
vi.mock("next/navigation", async () => (await import("../support/next-request")).nextNavigation);

const consoleKey = generateConsoleKey();
const holder = globalThis as typeof globalThis & {
  __consoleDb?: Promise<Database>;
  __consoleKey?: typeof consoleKey;
};
holder.__consoleKey = consoleKey;
installNextHeadersForRequire();

const OP = { tool: "crm.update_order", resourceType: "Order", resourceId: "o_77", action: "write" };
const MINUTE = 60_000;

describe.each(backends)("act from where you look on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let investigator: Authority;
  let viewer: Authority;
  let globexAdmin: Authority;
  const jar = async (a: Authority) =>
    sessionCookie({ sessionId: a.sessionId, userId: a.userId, email: a.email, secret: SECRET });
  const actions = () => import("@/app/(console)/escalations/actions");
  const stateRoute = () => import("@/app/api/escalations/state/route");

  beforeAll(async () => {
    database = await backend.open();
    holder.__consoleDb = Promise.resolve(database);
    const db = database.db;
    await addTenants(db, ["acme", "globex"]);
    admin = await signedIn(db, { email: "admin@acme.test", role: "admin", tenants: ["acme"] });
    investigator = await signedIn(db, { email: "inv@acme.test", role: "investigator", tenants: ["acme"] });
    viewer = await signedIn(db, { email: "viewer@acme.test", role: "viewer", tenants: ["acme"] });
    globexAdmin = await signedIn(db, { email: "admin@globex.test", role: "admin", tenants: ["globex"] });
    const t0 = Date.now() - 60 * MINUTE;
    // 15 sessions of alice (newest last), one of bob with a literal % and _ in its id, and
    // globex's own "alice" session that acme must never see.
    await db.insert(sessions).values([
      ...Array.from({ length: 15 }, (_, i) => ({
        tenant: "acme",
        id: `sess_alice_${String(i).padStart(2, "0")}`,
        principal: "alice@acme.example",
        agent: "alice-assistant",
        startedAt: new Date(t0 + i * MINUTE),
      })),
      {
        tenant: "acme",
        id: "sess_bob_100%_off",
        principal: "bob@acme.example",
        agent: "bob-bot",
        startedAt: new Date(t0 - MINUTE),
        lastSeenAt: new Date(t0 + 30 * MINUTE),
      },
      {
        tenant: "globex",
        id: "sess_alice_globex",
        principal: "alice@globex.example",
        agent: "alice-assistant",
        startedAt: new Date(),
      },
    ]);
  });

  afterAll(async () => {
    holder.__consoleDb = undefined;
    await database?.close();
  });

  describe("session and principal search", () => {
    it("finds by part of the session id, principal or agent, newest first, at most 10", async () => {
      const db = database.db;
      const bySession = await searchEscalationTargets(db, admin, { kind: "session", q: "alice_1" });
      expect(bySession.map((m) => (m.kind === "session" ? m.session : ""))).toEqual([
        "sess_alice_14",
        "sess_alice_13",
        "sess_alice_12",
        "sess_alice_11",
        "sess_alice_10",
      ]);
      const byPrincipal = await searchEscalationTargets(db, admin, { kind: "session", q: "ALICE@acme" });
      expect(byPrincipal).toHaveLength(SEARCH_LIMIT);
      expect(byPrincipal[0]).toMatchObject({
        kind: "session",
        tenant: "acme",
        session: "sess_alice_14",
        principal: "alice@acme.example",
        agent: "alice-assistant",
      });
      const byAgent = await searchEscalationTargets(db, admin, { kind: "session", q: "bob-b" });
      expect(byAgent.map((m) => m.kind === "session" && m.session)).toEqual(["sess_bob_100%_off"]);
      // Empty: the newest activity first (bob was seen after alice's sessions started).
      const newest = await searchEscalationTargets(db, admin, { kind: "session", q: "" });
      expect(newest).toHaveLength(SEARCH_LIMIT);
      expect(newest[0]).toMatchObject({ session: "sess_bob_100%_off" });
      const principals = await searchEscalationTargets(db, admin, { kind: "principal", q: "acme" });
      expect(principals).toEqual([
        expect.objectContaining({ kind: "principal", principal: "bob@acme.example", sessions: 1 }),
        expect.objectContaining({ kind: "principal", principal: "alice@acme.example", sessions: 15 }),
      ]);
    });

    it("stays in the admin's tenants, and an asked-for tenant outside them is refused", async () => {
      const db = database.db;
      const acme = await searchEscalationTargets(db, admin, { kind: "session", q: "globex" });
      expect(acme).toEqual([]);
      const globex = await searchEscalationTargets(db, globexAdmin, { kind: "session", q: "alice" });
      expect(globex.map((m) => m.tenant)).toEqual(["globex"]);
      await expect(
        searchEscalationTargets(db, admin, { kind: "session", q: "", tenant: "globex" }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    });

    it("is for admins only", async () => {
      for (const who of [investigator, viewer])
        await expect(
          searchEscalationTargets(database.db, who, { kind: "session", q: "" }),
        ).rejects.toBeInstanceOf(ForbiddenError);
    });

    it("takes wildcards and quotes literally", async () => {
      const db = database.db;
      const pct = await searchEscalationTargets(db, admin, { kind: "session", q: "%" });
      expect(pct.map((m) => m.kind === "session" && m.session)).toEqual(["sess_bob_100%_off"]);
      const under = await searchEscalationTargets(db, admin, { kind: "session", q: "%_" });
      expect(under.map((m) => m.kind === "session" && m.session)).toEqual(["sess_bob_100%_off"]);
      for (const q of ["' or 1=1 --", "\\", "%' or '1'='1", "_'; drop table sessions; --"])
        expect(await searchEscalationTargets(db, admin, { kind: "session", q })).toEqual([]);
      expect(await searchEscalationTargets(db, admin, { kind: "session", q: "" })).toHaveLength(SEARCH_LIMIT);
    });

    it("through the action: admins only, validated, tenant-scoped", async () => {
      const { searchEscalationTargetsAction } = await actions();
      actAs(await jar(investigator));
      expect(await searchEscalationTargetsAction({ kind: "session", q: "" })).toMatchObject({ ok: false });
      actAs({});
      expect(await searchEscalationTargetsAction({ kind: "session", q: "" })).toMatchObject({ ok: false });
      actAs(await jar(admin));
      const bad = await searchEscalationTargetsAction({ kind: "nope" as "session", q: "x".repeat(300) });
      expect(bad).toMatchObject({
        ok: false,
        fieldErrors: { kind: expect.any(Array), q: expect.any(Array) },
      });
      const ok = await searchEscalationTargetsAction({ kind: "session", q: "alice" });
      expect(ok.ok && ok.data.every((m) => m.tenant === "acme")).toBe(true);
      const foreign = await searchEscalationTargetsAction({ kind: "session", q: "", tenant: "globex" });
      expect(foreign).toMatchObject({ ok: false, error: "That tenant is outside your scope." });
    });
  });

  describe("re-authentication in place", () => {
    const ip = () => `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const age = async (a: Authority, ms: number) => {
      await database.db
        .update(consoleSessions)
        .set({ authTime: new Date(Date.now() - ms) })
        .where(eq(consoleSessions.id, a.sessionId));
      const fresh = await loadSessionAuthority(database.db, { sessionId: a.sessionId, activeTenant: null });
      if (!fresh) throw new Error("session gone");
      return fresh;
    };
    const reauthEvents = async (sessionId: string, outcome: "allowed" | "denied") =>
      (
        await database.db
          .select({ id: events.id })
          .from(events)
          .where(
            and(
              eq(events.type, "console.reauth"),
              eq(events.session, sessionId),
              eq(events.outcome, outcome),
            ),
          )
      ).length;

    it("a wrong password is refused on the field, counted and recorded; the sign-in stays old", async () => {
      const stale = await age(admin, 10 * MINUTE);
      const where = ip();
      const err = await reauthenticate(database.db, stale, { password: "not it", ip: where }).catch((e) => e);
      expect(err).toBeInstanceOf(FieldError);
      expect(err).toMatchObject({ field: "password", message: WRONG_PASSWORD });
      const attempts = await database.db.select().from(loginAttempts).where(eq(loginAttempts.ip, where));
      expect(attempts.map((a) => a.ok)).toEqual([false]);
      expect(await reauthEvents(admin.sessionId, "denied")).toBe(1);
      const after = await loadSessionAuthority(database.db, {
        sessionId: admin.sessionId,
        activeTenant: null,
      });
      expect(after?.authTime.getTime()).toBe(stale.authTime.getTime());
    });

    it("the right password renews the sign-in: issuing works again", async () => {
      const stale = await age(admin, 10 * MINUTE);
      const input = issueEscalationSchema.parse({
        tenant: "acme",
        principal: "alice@acme.example",
        session: "sess_alice_01",
        ...OP,
        reason: "after re-auth",
      });
      await expect(issueEscalation(database.db, stale, input, { consoleKey })).rejects.toBeInstanceOf(
        ReauthRequiredError,
      );
      const where = ip();
      const { authTime } = await reauthenticate(database.db, stale, { password: PASSWORD, ip: where });
      expect(Date.now() - authTime.getTime()).toBeLessThan(MINUTE);
      const renewed = await loadSessionAuthority(database.db, {
        sessionId: admin.sessionId,
        activeTenant: null,
      });
      expect(renewed?.authTime.getTime()).toBe(authTime.getTime());
      await expect(
        issueEscalation(database.db, renewed as Authority, input, { consoleKey }),
      ).resolves.toMatchObject({ status: "active" });
      expect(await reauthEvents(admin.sessionId, "allowed")).toBeGreaterThanOrEqual(1);
      const [attempt] = await database.db.select().from(loginAttempts).where(eq(loginAttempts.ip, where));
      expect(attempt?.ok).toBe(true);
    });

    it("is rate-limited like sign-in: after 5 failures from one address even the right password waits", async () => {
      // An account of its own: the other tests' failures count against theirs.
      const limitedAdmin = await signedIn(database.db, {
        email: "admin-limited@acme.test",
        role: "admin",
        tenants: ["acme"],
      });
      const where = ip();
      for (let i = 0; i < SIGN_IN_LIMITS.perAccountAndAddress; i++)
        await expect(
          reauthenticate(database.db, limitedAdmin, { password: `wrong ${i}`, ip: where }),
        ).rejects.toBeInstanceOf(FieldError);
      const limited = await reauthenticate(database.db, limitedAdmin, {
        password: PASSWORD,
        ip: where,
      }).catch((e) => e);
      expect(limited).toBeInstanceOf(UserError);
      expect(limited).not.toBeInstanceOf(FieldError);
      expect(String(limited.message)).toMatch(/^Too many failed sign-ins\. Try again in \d+ minutes\.$/);
    });

    it("through the actions: the issue form is told to ask, the password renews, the resubmission issues", async () => {
      const { issueEscalationAction, reauthenticateAction } = await actions();
      const flowAdmin = await signedIn(database.db, {
        email: "admin-flow@acme.test",
        role: "admin",
        tenants: ["acme"],
      });
      await age(flowAdmin, 10 * MINUTE);
      actAs(await jar(flowAdmin), { "x-forwarded-for": ip() });
      const form = new FormData();
      for (const [k, v] of Object.entries({
        tenant: "acme",
        principal: "alice@acme.example",
        session: "sess_alice_02",
        ...OP,
        ttlSeconds: "60",
        delivery: "console",
        multiUse: "on",
        reason: "kept across re-auth",
      }))
        form.set(k, v);
      const first = await issueEscalationAction(null, form);
      expect(first).toMatchObject({ ok: false, reauth: true });
      // Every value comes back, the multi-use box included.
      expect(!first.ok && first.values).toMatchObject({ reason: "kept across re-auth", multiUse: "on" });
      const wrong = await reauthenticateAction({ password: "nope" });
      expect(wrong).toMatchObject({ ok: false, fieldErrors: { password: [WRONG_PASSWORD] } });
      expect(await reauthenticateAction({ password: "" })).toMatchObject({
        ok: false,
        fieldErrors: { password: ["Enter your password."] },
      });
      expect(await reauthenticateAction({ password: PASSWORD })).toMatchObject({ ok: true });
      const second = await issueEscalationAction(first, form);
      expect(second).toMatchObject({ ok: true, data: { status: "active", token: expect.any(String) } });
      const [row] = await database.db
        .select()
        .from(escalations)
        .where(and(eq(escalations.tenant, "acme"), eq(escalations.reason, "kept across re-auth")));
      expect(row?.singleUse).toBe(false);
      // Not an admin: refused before any password is looked at.
      actAs(await jar(investigator));
      expect(await reauthenticateAction({ password: PASSWORD })).toMatchObject({
        ok: false,
        error: "You are not allowed to do that.",
      });
    });
  });

  describe("live state feed", () => {
    const ids = {} as Record<string, string>;
    beforeAll(async () => {
      const now = Date.now();
      const row = (name: string, over: Partial<typeof escalations.$inferInsert>) => {
        ids[name] = randomUUID();
        return {
          id: ids[name],
          tenant: "acme",
          requestedBy: admin.email,
          grantedBy: admin.email,
          principal: "alice@acme.example",
          session: "sess_alice_03",
          operation: OP,
          ttlSeconds: 60,
          reason: `feed ${name}`,
          status: "active" as const,
          requestedAt: new Date(now - MINUTE),
          issuedAt: new Date(now - MINUTE),
          expiresAt: new Date(now + 10 * MINUTE),
          ...over,
        };
      };
      await database.db.insert(escalations).values([
        row("active", { delivery: "platform" }),
        row("multi", { singleUse: false, useCount: 6, usedAt: new Date(now - 1000) }),
        row("expired", { expiresAt: new Date(now - 1000) }),
        row("usedUp", { useCount: 1, usedAt: new Date(now - 1000) }),
        row("used", { status: "used", useCount: 1, usedAt: new Date(now - 1000) }),
        row("revoked", { status: "revoked", revokedAt: new Date(now - 1000), revokedBy: admin.email }),
        row("pending", { status: "pending", grantedBy: null, issuedAt: null, expiresAt: null }),
        row("lapsed", {
          status: "pending",
          grantedBy: null,
          issuedAt: null,
          expiresAt: null,
          requestedAt: new Date(now - 31 * MINUTE),
        }),
        { ...row("globex", {}), tenant: "globex", requestedBy: globexAdmin.email, reason: "globex only" },
      ]);
    });

    type Feed = {
      signature: string;
      escalations: { id: string; tenant: string; phase: string; useCount: number; delivered: boolean }[];
    };
    const feedAs = async (a: Authority | null) => {
      actAs(a ? await jar(a) : {});
      const { GET } = await stateRoute();
      return GET();
    };

    it("asks for a session with the right role on every request", async () => {
      const anon = await feedAs(null);
      expect(anon.status).toBe(401);
      expect(await anon.json()).toHaveProperty("error");
      expect((await feedAs(viewer)).status).toBe(403);
      expect((await feedAs(investigator)).status).toBe(200);
      // A signed-out session stops the feed at the next poll.
      const other = await signedIn(database.db, {
        email: "inv2@acme.test",
        role: "investigator",
        tenants: ["acme"],
      });
      const cookie = await jar(other);
      await database.db
        .update(consoleSessions)
        .set({ revokedAt: new Date() })
        .where(eq(consoleSessions.id, other.sessionId));
      actAs(cookie);
      expect((await (await stateRoute()).GET()).status).toBe(401);
    });

    it("classifies every grant: active, pending, or ended (expired, used up, revoked, lapsed)", async () => {
      const res = await feedAs(investigator);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const feed = (await res.json()) as Feed;
      const phase = (name: string) => feed.escalations.find((e) => e.id === ids[name])?.phase;
      expect(phase("active")).toBe("active");
      expect(phase("multi")).toBe("active");
      expect(phase("pending")).toBe("pending");
      for (const ended of ["expired", "usedUp", "used", "revoked", "lapsed"])
        expect(phase(ended), ended).toBe("ended");
      expect(feed.escalations.find((e) => e.id === ids.multi)?.useCount).toBe(6);
      expect(feed.escalations.find((e) => e.id === ids.active)?.delivered).toBe(false);
      expect(feed.escalations.every((e) => e.tenant === "acme")).toBe(true);
      expect(JSON.stringify(feed)).not.toContain("globex");
    });

    it("changes its signature on a pick-up and a use, and keeps it otherwise", async () => {
      const before = (await (await feedAs(admin)).json()) as Feed;
      const again = (await (await feedAs(admin)).json()) as Feed;
      expect(again.signature).toBe(before.signature);
      await database.db
        .update(escalations)
        .set({ deliveredAt: new Date() })
        .where(eq(escalations.id, ids.active as string));
      const picked = (await (await feedAs(admin)).json()) as Feed;
      expect(picked.signature).not.toBe(before.signature);
      await database.db
        .update(escalations)
        .set({ useCount: 7 })
        .where(eq(escalations.id, ids.multi as string));
      const used = (await (await feedAs(admin)).json()) as Feed;
      expect(used.signature).not.toBe(picked.signature);
    });

    it("the globex admin sees only globex's grants", async () => {
      const feed = (await (await feedAs(globexAdmin)).json()) as Feed;
      expect(feed.escalations.map((e) => e.id)).toEqual([ids.globex]);
      expect(JSON.stringify(feed)).not.toContain("acme");
    });

    it("a grant ends when its clock runs out (the same function the page uses)", () => {
      const now = Date.now();
      const e = {
        status: "active" as const,
        expiresAt: new Date(now + 1000),
        requestedAt: new Date(now - 1000),
        singleUse: true,
        useCount: 0,
        revokedAt: null,
      };
      expect(escalationPhase(e, now)).toBe("active");
      expect(escalationPhase(e, now + 1000)).toBe("ended");
      expect(escalationPhase({ ...e, singleUse: false, useCount: 3 }, now)).toBe("active");
    });
  });

  describe("revoke links (revokeHref) open a preview, never a revocation", () => {
    const link = (raw: Record<string, string | undefined>) => revokeLinkSchema.parse(raw);

    it("names the session and measures what revoking it would cut, writing nothing", async () => {
      const before = (await database.db.select().from(revocations)).length;
      const p = await previewRevokeLink(
        database.db,
        admin,
        link({ kind: "session", tenant: "acme", session: "sess_alice_03" }),
      );
      expect(p.target).toMatchObject({
        kind: "session",
        tenant: "acme",
        session: "sess_alice_03",
        principal: "alice@acme.example",
        revoked: false,
      });
      expect(p.radius).toMatchObject({ tenant: "acme", sessions: 1 });
      const principal = await previewRevokeLink(
        database.db,
        admin,
        link({ kind: "principal", tenant: "acme", principal: "bob@acme.example" }),
      );
      expect(principal.radius.sessions).toBe(1);
      expect((await database.db.select().from(revocations)).length).toBe(before);
    });

    it("unknown and other-tenant targets answer the same, naming nothing", async () => {
      const tries = [
        { kind: "session", tenant: "acme", session: "sess_nobody" },
        { kind: "session", tenant: "globex", session: "sess_alice_globex" },
        { kind: "session", tenant: "acme", session: "sess_alice_globex" },
        { kind: "principal", tenant: "acme", principal: "alice@globex.example" },
        { kind: "principal", tenant: "globex", principal: "alice@globex.example" },
        { kind: "capability", tenant: "acme", capability: "abcdef0123" },
        { kind: "session", tenant: "initech", session: "sess_alice_01" },
      ];
      for (const t of tries) {
        const err = await previewRevokeLink(database.db, admin, link(t)).catch((e) => e);
        expect(err, JSON.stringify(t)).toBeInstanceOf(NotFoundError);
        expect(err.message).toBe(`No ${t.kind} with that id in your tenants.`);
        expect(err.message).not.toContain("globex");
      }
    });

    it("refuses malformed links with the field named, and non-admins", async () => {
      expect(
        revokeLinkSchema.safeParse({ kind: "capability", tenant: "acme", capability: "zz" }).error?.issues[0]
          ?.message,
      ).toBe("The link's capability id is not hex.");
      expect(revokeLinkSchema.safeParse({ kind: "session", tenant: "acme" }).error?.issues[0]?.message).toBe(
        "The link names no session.",
      );
      expect(revokeLinkSchema.safeParse({ kind: "everything", tenant: "acme" }).success).toBe(false);
      await expect(
        previewRevokeLink(
          database.db,
          investigator,
          link({ kind: "session", tenant: "acme", session: "sess_alice_03" }),
        ),
      ).rejects.toBeInstanceOf(ForbiddenError);
    });
  });
});
