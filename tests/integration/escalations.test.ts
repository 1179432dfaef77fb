import { and, count, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, escalations, events, issuers, revocations, sessions, tenants } from "@/db/schema";
import { handleEscalationPickup, handleEscalationUse } from "@/lib/api/escalation-routes";
import { handleIntrospect } from "@/lib/api/introspect";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import { createTestClock, decodeToken, tokenHash } from "@/lib/capability";
import { insertApiKey } from "@/lib/data/api-keys";
import { NotFoundError } from "@/lib/data/console-users";
import {
  approveEscalation,
  EscalationFieldError,
  type IssueEscalationInput,
  issueEscalation,
  issueEscalationSchema,
  listEscalations,
  ReauthRequiredError,
  rejectEscalation,
} from "@/lib/data/escalations";
import { listRevocations, revokeEscalation } from "@/lib/data/revocations";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends, dumpAllTables } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

const OP = { tool: "crm.update_order", resourceType: "Order", resourceId: "o_77", action: "write" };

describe.each(backends)("escalations on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let admin2: Authority;
  let globexAdmin: Authority;
  let investigator: Authority;
  let viewer: Authority;
  let acmeKey: string;
  let globexKey: string;
  const consoleKey = generateConsoleKey();
  const clock = createTestClock(Date.now());
  const deps = { consoleKey, clock };
  const base = "http://console.test";
  /** Every token handed out in this file, for the leak check at the end. */
  const tokens: string[] = [];
  const logged: string[] = [];

  const input = (over: Partial<IssueEscalationInput> = {}): IssueEscalationInput =>
    issueEscalationSchema.parse({
      tenant: "acme",
      principal: "alice@acme.example",
      session: "sess_1",
      agent: "alice-assistant",
      ...OP,
      reason: "INC-42: fix a stuck order",
      ...over,
    });

  const issue = async (over: Partial<IssueEscalationInput> = {}, who = admin) => {
    const r = await issueEscalation(database.db, who, input(over), deps);
    if (r.token) tokens.push(r.token);
    return r;
  };

  const call = (handler: typeof handleEscalationUse, path: string, key: string, body?: unknown) =>
    handler(
      database.db,
      new Request(`${base}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      { clock, consoleKey },
    );
  const use = async (id: string, token: string, operation: Record<string, string> = OP, key = acmeKey) => {
    const res = await call(handleEscalationUse, `/api/v1/escalations/${id}/use`, key, { token, operation });
    return {
      status: res.status,
      body: (await res.json()) as { allowed: boolean; code?: string; reason?: string },
    };
  };
  const introspect = async (token: string, key = acmeKey) => {
    const res = await handleIntrospect(
      database.db,
      new Request(`${base}/api/v1/introspect`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ token }),
      }),
      { clock },
    );
    const text = await res.text();
    expect(text).not.toContain(token);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  };
  const eventsOf = (id: string) =>
    database.db
      .select()
      .from(events)
      .where(eq(events.request, `esc_${id}`))
      .orderBy(events.seq);
  const snapshot = async () => ({
    escalations: await database.db.select().from(escalations).orderBy(escalations.id),
    revocations: await database.db.select().from(revocations).orderBy(revocations.cursor),
    sessions: await database.db.select().from(sessions).orderBy(sessions.id),
    events: (await database.db.select({ n: count() }).from(events))[0]?.n,
  });

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex", "dual"]);
    await database.db
      .update(tenants)
      .set({ settings: { twoPersonEscalations: true } })
      .where(eq(tenants.id, "dual"));
    await database.db
      .insert(issuers)
      .values({ kid: consoleKey.kid, tenant: null, publicKey: consoleKey.publicKey });
    admin = await signedIn(database.db, {
      email: "root@x.test",
      role: "admin",
      tenants: ["acme", "globex", "dual"],
    });
    admin2 = await signedIn(database.db, { email: "second@x.test", role: "admin", tenants: ["dual"] });
    globexAdmin = await signedIn(database.db, {
      email: "g-admin@x.test",
      role: "admin",
      tenants: ["globex"],
    });
    investigator = await signedIn(database.db, {
      email: "inv@x.test",
      role: "investigator",
      tenants: ["acme"],
    });
    viewer = await signedIn(database.db, { email: "viewer@x.test", role: "viewer", tenants: ["acme"] });
    acmeKey = (await insertApiKey(database.db, { tenant: "acme", source: "platform", createdBy: "t" })).key;
    globexKey = (await insertApiKey(database.db, { tenant: "globex", source: "platform", createdBy: "t" }))
      .key;
    for (const m of ["log", "info", "warn", "error", "debug"] as const)
      vi.spyOn(console, m).mockImplementation(
        (...args: unknown[]) => void logged.push(args.map(String).join(" ")),
      );
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await database.close();
  });

  it("issues a single-use 60 s escalation, hands the token over once and keeps only its hash", async () => {
    const r = await issue();
    expect(r.status).toBe("active");
    expect(r.token).toBeTruthy();
    const [row] = await database.db.select().from(escalations).where(eq(escalations.id, r.id));
    expect(row).toMatchObject({ status: "active", singleUse: true, ttlSeconds: 60, useCount: 0 });
    expect(row?.tokenHash).toBe(tokenHash(decodeToken(r.token as string)));
    expect(row?.capabilityId).toBe(r.capabilityId);
    expect(Number(row?.expiresAt) - Number(row?.issuedAt)).toBe(60_000);
    const [cap] = await database.db
      .select()
      .from(capabilities)
      .where(eq(capabilities.id, r.capabilityId as string));
    expect(cap).toMatchObject({ kind: "escalation", tenant: "acme", principal: "alice@acme.example" });
    const evs = await eventsOf(r.id);
    expect(evs.map((e) => [e.type, e.outcome, e.capabilityId])).toEqual([
      ["escalation.issued", "allowed", r.capabilityId],
    ]);
    expect(evs[0]?.meta).toMatchObject({ actor: "root@x.test", escalationId: r.id, singleUse: true });
    // The token grants exactly the one operation, as introspection reports.
    const seen = await introspect(r.token as string);
    expect(seen.body).toMatchObject({
      active: true,
      kind: "escalation",
      sub: "alice@acme.example",
      tenant: "acme",
    });
    expect((seen.body.summary as { rights: unknown }).rights).toEqual([
      { resource: "Order", actions: ["write"], ids: ["o_77"] },
    ]);
  });

  it("names the field: reason required, TTL capped by the tenant (300 s by default)", async () => {
    const bad = issueEscalationSchema.safeParse({
      tenant: "acme",
      principal: "a",
      session: "s",
      ...OP,
      reason: " ",
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path[0])).toContain("reason");
    const noTarget = issueEscalationSchema.safeParse({ tenant: "acme", principal: "a", ...OP, reason: "r" });
    expect(noTarget.error?.issues.map((i) => i.path[0])).toContain("session");
    await expect(issue({ ttlSeconds: 301 })).rejects.toMatchObject({ field: "ttlSeconds" });
    tokens.push((await issue({ ttlSeconds: 300 })).token as string);
    await database.db
      .update(tenants)
      .set({ settings: { escalationMaxTtlSeconds: 120 } })
      .where(eq(tenants.id, "acme"));
    try {
      await expect(issue({ ttlSeconds: 121 })).rejects.toBeInstanceOf(EscalationFieldError);
      expect((await issue({ ttlSeconds: 120 })).status).toBe("active");
    } finally {
      await database.db.update(tenants).set({ settings: {} }).where(eq(tenants.id, "acme"));
    }
  });

  it("refuses without a sign-in from the last 5 minutes", async () => {
    const before = await snapshot();
    const stale = { ...admin, authTime: new Date(clock.now() - 5 * 60_000 - 1) };
    await expect(issueEscalation(database.db, stale, input(), deps)).rejects.toThrow(
      /Sign in again.*last 5 minutes/,
    );
    await expect(issueEscalation(database.db, stale, input(), deps)).rejects.toBeInstanceOf(
      ReauthRequiredError,
    );
    expect(await snapshot()).toEqual(before);
  });

  it("leaves no row and no token when the audit write fails", async () => {
    const before = await snapshot();
    const caps = await database.db.select({ n: count() }).from(capabilities);
    // The audit write fails: events refuses escalation.* rows (a constraint added for this test
    // only, NOT VALID so earlier rows stand), and the transaction must roll back whole.
    await database.db.execute(
      sql`alter table events add constraint audit_write_fails check (type not like 'escalation.%') not valid`,
    );
    let result: unknown;
    try {
      result = await issueEscalation(database.db, admin, input({ reason: "must not exist" }), deps);
    } catch (err) {
      result = err;
    } finally {
      await database.db.execute(sql`alter table events drop constraint audit_write_fails`);
    }
    expect(result).toBeInstanceOf(Error);
    expect(JSON.stringify(result)).not.toMatch(/"token"/);
    expect(await snapshot()).toEqual(before);
    expect(await database.db.select({ n: count() }).from(capabilities)).toEqual(caps);
    expect(
      await database.db.select().from(escalations).where(eq(escalations.reason, "must not exist")),
    ).toEqual([]);
  });

  it("refuses viewers, investigators and admins of another tenant everywhere, changing nothing", async () => {
    const pending = await issue({ tenant: "dual" });
    const active = await issue();
    const before = await snapshot();
    for (const who of [viewer, investigator, globexAdmin]) {
      await expect(issueEscalation(database.db, who, input(), deps)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(approveEscalation(database.db, who, { id: pending.id }, deps)).rejects.toBeInstanceOf(
        who === globexAdmin ? NotFoundError : ForbiddenError,
      );
      await expect(rejectEscalation(database.db, who, { id: pending.id })).rejects.toThrow();
      await expect(
        revokeEscalation(database.db, who, { escalationId: active.id, reason: "x" }),
      ).rejects.toThrow(/not allowed|needs the role|Unknown escalation/);
    }
    await expect(listEscalations(database.db, viewer)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listRevocations(database.db, viewer)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await listEscalations(database.db, globexAdmin)).map((e) => e.tenant)).not.toContain("acme");
    expect((await listEscalations(database.db, investigator)).every((e) => e.tenant === "acme")).toBe(true);
    expect(JSON.stringify(await listEscalations(database.db, admin))).not.toContain("sha256:");
    expect(await snapshot()).toEqual(before);
  });

  it("allows a use 1 ms before expiry, denies it at expiry, and a clock set back never reopens it", async () => {
    const single = await issue();
    const multi = await issue({ singleUse: false });
    const [row] = await database.db.select().from(escalations).where(eq(escalations.id, multi.id));
    const expiry = Number(row?.expiresAt);
    const start = clock.now();
    try {
      clock.set(expiry - 1);
      expect((await use(single.id, single.token as string)).body.allowed).toBe(true);
      expect((await use(multi.id, multi.token as string)).body.allowed).toBe(true);
      expect((await use(multi.id, multi.token as string)).body.allowed).toBe(true);
      clock.set(expiry);
      expect(await use(multi.id, multi.token as string)).toMatchObject({
        status: 410,
        body: { allowed: false, code: "expired" },
      });
      clock.set(expiry - 30_000);
      expect((await use(multi.id, multi.token as string)).body).toMatchObject({
        allowed: false,
        code: "expired",
      });
      expect((await introspect(multi.token as string)).body).toMatchObject({ active: false });
    } finally {
      clock.set(start);
    }
    const evs = await eventsOf(multi.id);
    expect(evs.map((e) => `${e.type}:${e.outcome}`)).toEqual([
      "escalation.issued:allowed",
      "escalation.used:allowed",
      "escalation.used:allowed",
      "escalation.used:denied",
      "escalation.expired:allowed",
      "escalation.used:denied",
    ]);
  });

  it("escalates exactly a call on a file path (a gateway's resource): that whole path once, no other", async () => {
    const file = {
      ...OP,
      tool: "fs.write_file",
      resourceType: "File",
      resourceId: "/srv/share/Quarterly report.txt",
    };
    const r = await issue(file);
    expect(r.status).toBe("active");
    expect(
      (await use(r.id, r.token as string, { ...file, resourceId: "/srv/share/Quarterly report.tx" })).body,
    ).toMatchObject({
      allowed: false,
    });
    expect((await use(r.id, r.token as string, file)).body.allowed).toBe(true);
    const [cap] = await database.db
      .select()
      .from(capabilities)
      .where(eq(capabilities.id, r.capabilityId as string));
    // The token names the path by its hash (token facts take names only); the row keeps it whole.
    expect(JSON.stringify(cap?.summary)).toContain("sha256:");
    const [row] = await database.db.select().from(escalations).where(eq(escalations.id, r.id));
    expect(row?.operation).toMatchObject({ resourceId: file.resourceId });
  });

  it("lets exactly one of 100 concurrent uses of a single-use escalation through, auditing all", async () => {
    const r = await issue();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => use(r.id, r.token as string).then((x) => x.body)),
    );
    expect(results.filter((x) => x.allowed)).toHaveLength(1);
    expect(results.filter((x) => !x.allowed).every((x) => x.code === "used")).toBe(true);
    const evs = await eventsOf(r.id);
    const used = evs.filter((e) => e.type === "escalation.used");
    expect(used).toHaveLength(100);
    expect(used.filter((e) => e.outcome === "allowed")).toHaveLength(1);
    const [row] = await database.db.select().from(escalations).where(eq(escalations.id, r.id));
    expect(row).toMatchObject({ status: "used", useCount: 1 });
    expect((await introspect(r.token as string)).body).toMatchObject({
      active: false,
      reason: "escalation already used",
    });
  });

  it("refuses a use with another token, another operation, another tenant's key or an unknown id", async () => {
    const r = await issue();
    const other = await issue();
    expect((await use(r.id, other.token as string)).body.code).toBe("token_mismatch");
    expect((await use(r.id, r.token as string, { ...OP, resourceId: "o_78" })).body.code).toBe(
      "operation_mismatch",
    );
    expect((await use(r.id, r.token as string, OP, globexKey)).status).toBe(404);
    expect((await use("0190a0b0-0000-7000-8000-000000000000", r.token as string)).status).toBe(404);
    expect((await use(r.id, "not-a-token")).body.code).toBe("token_mismatch");
    const bad = await call(handleEscalationUse, `/api/v1/escalations/${r.id}/use`, acmeKey, {
      token: r.token,
    });
    expect(bad.status).toBe(400);
    // Broken JSON holding the token, and JSON nested past any use: 400 naming the body, the token
    // never echoed.
    const raw = (text: string) =>
      handleEscalationUse(
        database.db,
        new Request(`${base}/api/v1/escalations/${r.id}/use`, {
          method: "POST",
          headers: { authorization: `Bearer ${acmeKey}`, "content-type": "application/json" },
          body: text,
        }),
        { clock, consoleKey },
      );
    for (const text of [`{"token": "${r.token}", "operation": `, `${"[".repeat(50)}${"]".repeat(50)}`]) {
      const res = await raw(text);
      expect(res.status).toBe(400);
      const answer = await res.text();
      expect(JSON.parse(answer)).toMatchObject({ field: "body" });
      expect(answer).not.toContain(String(r.token).slice(0, 24));
    }
    // Nothing above consumed it.
    expect((await use(r.id, r.token as string)).body.allowed).toBe(true);
    // Wrong token, wrong operation, garbage token: on this escalation's record.
    const denied = (await eventsOf(r.id)).filter((e) => e.outcome === "denied");
    expect(denied).toHaveLength(3);
    // The unknown id and the other tenant's attempt are audited in the key's tenant, naming no owner.
    const foreign = await database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "globex"), eq(events.type, "escalation.used")));
    expect(foreign).toHaveLength(1);
    expect(foreign[0]?.principal).toBeNull();
  });

  it("holds a platform-delivered escalation until the platform picks it up, then never again", async () => {
    const r = await issue({ delivery: "platform", session: "sess_pickup" });
    expect(r.token).toBeUndefined();
    const [waiting] = await database.db.select().from(escalations).where(eq(escalations.id, r.id));
    expect(waiting?.tokenHash).toBeNull();
    const pick = async (key = acmeKey) =>
      (await (await call(handleEscalationPickup, "/api/v1/escalations?session=sess_pickup", key)).json()) as {
        escalations: { id: string; token: string; expiresAt: string }[];
      };
    expect((await pick(globexKey)).escalations).toEqual([]);
    const [first, second] = await Promise.all([pick(), pick()]);
    const got = [...(first?.escalations ?? []), ...(second?.escalations ?? [])];
    expect(got).toHaveLength(1);
    const token = got[0]?.token as string;
    tokens.push(token);
    expect(got[0]?.expiresAt).toBe(waiting?.expiresAt?.toISOString());
    expect((await pick()).escalations).toEqual([]);
    const [row] = await database.db.select().from(escalations).where(eq(escalations.id, r.id));
    expect(row?.tokenHash).toBe(tokenHash(decodeToken(token)));
    expect((await introspect(token)).body).toMatchObject({ active: true, escalation_id: r.id });
    expect((await use(r.id, token)).body.allowed).toBe(true);
    expect((await eventsOf(r.id)).map((e) => e.type)).toEqual([
      "escalation.issued",
      "escalation.delivered",
      "escalation.used",
    ]);
    // Past its expiry, a never-picked-up escalation is not handed out (the expiry was fixed at issue).
    const late = await issue({ delivery: "platform", session: "sess_late" });
    const start = clock.now();
    try {
      clock.advance(60_000);
      const res = await call(handleEscalationPickup, "/api/v1/escalations?session=sess_late", acmeKey);
      expect(((await res.json()) as { escalations: unknown[] }).escalations).toEqual([]);
    } finally {
      clock.set(start);
    }
    expect(late.status).toBe("active");
    expect((await call(handleEscalationPickup, "/api/v1/escalations", acmeKey)).status).toBe(400);
  });

  it("two-person rule: a request nobody approves within 30 minutes lapses, with an event", async () => {
    const inTime = await issue({ tenant: "dual", reason: "approved in time" });
    const r = await issue({ tenant: "dual", reason: "waits too long" });
    const start = clock.now();
    try {
      clock.advance(30 * 60_000 - 1);
      const fresh = { ...admin2, authTime: new Date(clock.now()) };
      const approved = await approveEscalation(database.db, fresh, { id: inTime.id }, deps);
      tokens.push(approved.token as string);
      expect(approved.status).toBe("active");
      clock.advance(1);
      await expect(approveEscalation(database.db, fresh, { id: r.id }, deps)).rejects.toThrow(
        "This request lapsed: it was not approved within 30 minutes.",
      );
      const [row] = await database.db.select().from(escalations).where(eq(escalations.id, r.id));
      expect(row).toMatchObject({
        status: "expired",
        tokenHash: null,
        revokeReason: "not approved within 30 minutes",
      });
      const evs = await eventsOf(r.id);
      expect(evs.map((e) => e.type)).toEqual(["escalation.requested", "escalation.expired"]);
      expect(evs[1]).toMatchObject({ outcome: "denied", reason: "not approved within 30 minutes" });
      await expect(rejectEscalation(database.db, fresh, { id: r.id })).rejects.toThrow("lapsed");
    } finally {
      clock.set(start);
    }
  });

  it("two-person rule: the request waits, the requester cannot approve, the clock starts at approval", async () => {
    const r = await issue({ tenant: "dual", reason: "needs two" });
    expect(r).toEqual({ id: r.id, status: "pending" });
    const [pending] = await database.db.select().from(escalations).where(eq(escalations.id, r.id));
    expect(pending).toMatchObject({ status: "pending", tokenHash: null, issuedAt: null, expiresAt: null });
    await expect(approveEscalation(database.db, admin, { id: r.id }, deps)).rejects.toThrow(
      "a second admin has to approve it",
    );
    const start = clock.now();
    try {
      clock.advance(120_000);
      const approved = await approveEscalation(database.db, admin2, { id: r.id }, deps);
      tokens.push(approved.token as string);
      expect(approved.status).toBe("active");
      expect(approved.token).toBeTruthy();
      const [row] = await database.db.select().from(escalations).where(eq(escalations.id, r.id));
      expect(row?.issuedAt?.getTime()).toBe(start + 120_000);
      expect(row?.expiresAt?.getTime()).toBe(start + 120_000 + 60_000);
      expect(row).toMatchObject({ requestedBy: "root@x.test", grantedBy: "second@x.test" });
      await expect(approveEscalation(database.db, admin2, { id: r.id }, deps)).rejects.toThrow(
        "not waiting for approval",
      );
    } finally {
      clock.set(start);
    }
    expect((await eventsOf(r.id)).map((e) => [e.type, (e.meta as { actor?: string }).actor])).toEqual([
      ["escalation.requested", "root@x.test"],
      ["escalation.issued", "second@x.test"],
    ]);
    const rejected = await issue({ tenant: "dual", reason: "no" });
    await rejectEscalation(database.db, admin2, { id: rejected.id, reason: "not today" });
    const [rej] = await database.db.select().from(escalations).where(eq(escalations.id, rejected.id));
    expect(rej?.status).toBe("rejected");
  });

  it("revoking an escalation ends it at once and puts it on the feed", async () => {
    const r = await issue();
    const res = await revokeEscalation(
      database.db,
      admin,
      { escalationId: r.id, reason: "wrong order" },
      deps,
    );
    expect(res.revokedIds).toEqual([r.capabilityId]);
    expect((await use(r.id, r.token as string)).body.code).toBe("revoked");
    expect((await introspect(r.token as string)).body).toMatchObject({ active: false });
    await expect(
      revokeEscalation(database.db, admin, { escalationId: r.id, reason: "again" }, deps),
    ).rejects.toThrow("already revoked");
  });

  it("introspection: another tenant's token is just not recognised; no token is echoed", async () => {
    const r = await issue();
    const foreign = await introspect(r.token as string, globexKey);
    expect(foreign.body).toEqual({ active: false, reason: "token not recognised" });
    expect((await introspect("AAAA")).body).toMatchObject({ active: false });
    const missing = await handleIntrospect(
      database.db,
      new Request(`${base}/api/v1/introspect`, {
        method: "POST",
        headers: { authorization: `Bearer ${acmeKey}` },
        body: "{not json",
      }),
    );
    expect(missing.status).toBe(400);
    const anonymous = await handleIntrospect(
      database.db,
      new Request(`${base}/api/v1/introspect`, { method: "POST", body: JSON.stringify({ token: r.token }) }),
    );
    expect(anonymous.status).toBe(401);
  });

  // Last: everything above handed out tokens.
  it("no raw escalation token appears in the database or in anything logged", async () => {
    expect(tokens.length).toBeGreaterThan(10);
    const dump = await dumpAllTables(database.db);
    expect(dump).toContain("escalation.used");
    const haystack = `${dump}\n${logged.join("\n")}`;
    const leaked = tokens.filter((t) => haystack.includes(t) || haystack.includes(t.slice(-64)));
    expect(leaked).toEqual([]);
  });
});
