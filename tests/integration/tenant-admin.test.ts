import { privateKeyObject, rootKeyIdOf } from "@capability-console/sdk/internal/capability/keys";
import { loadBiscuit } from "@capability-console/sdk/internal/capability/wasm-loader";
import { eventCapability } from "@capability-console/sdk/tools";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events, issuers, tenants } from "@/db/schema";
import { handleEscalationPickup, handleEscalationUse } from "@/lib/api/escalation-routes";
import { handleIntrospect } from "@/lib/api/introspect";
import { handleKeys } from "@/lib/api/verifier-routes";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import {
  createTestClock,
  encodeToken,
  generateIssuerKey,
  type IssuerKeyPair,
  mintCapability,
} from "@/lib/capability";
import { insertApiKey } from "@/lib/data/api-keys";
import { getRequestGraph } from "@/lib/data/capabilities";
import { ConflictError, NotFoundError } from "@/lib/data/console-users";
import {
  approveEscalation,
  issueEscalation,
  issueEscalationSchema,
  listEscalations,
  ReauthRequiredError,
} from "@/lib/data/escalations";
import {
  addIssuerKey,
  addIssuerKeySchema,
  listIssuerKeys,
  listTenantPolicies,
  retireIssuerKey,
  setTenantPolicy,
  setTenantRetention,
  tenantPolicySchema,
  tenantRetentionSchema,
} from "@/lib/data/tenant-admin";
import { handleIngest } from "@/lib/ingest";
import { createRateLimiter } from "@/lib/ingest/rate-limit";
import { pickUpEscalations, useEscalation } from "@/lib/sdk/escalations";
import { createPlatformVerifier } from "@/lib/sdk/platform";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends, dumpAllTables } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { routeFetch } from "../support/route-fetch";

const OP = { tool: "orders.update_status", resourceType: "Order", resourceId: "o_5013", action: "write" };
const STALE = new Date(Date.now() - 60 * 60_000);

/**
 * A valid Biscuit signed with the key, carrying its root key id but none of the console's facts
 * (no cap(...) fact naming the issuer): what someone holding a retired private key could make.
 */
async function bareToken(key: IssuerKeyPair): Promise<string> {
  const bw = await loadBiscuit();
  const builder = bw.Biscuit.builder();
  builder.addCode('right("Customer", {"read"}, {"*"}, {"*"});');
  builder.setRootKeyId(rootKeyIdOf(key.kid));
  const privateKey = privateKeyObject(bw, key.privateKey);
  const token = builder.build(privateKey);
  const bytes = token.toBytes();
  token.free();
  return encodeToken(bytes);
}

describe.each(backends)("tenant policy, issuer keys and the platform's escalations on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let admin2: Authority;
  let globexAdmin: Authority;
  let investigator: Authority;
  let acmeKey: string;
  const consoleKey = generateConsoleKey();
  const clock = createTestClock(Date.now());
  const base = "http://console.test";

  // The SDK's fetch, answered by the real route handlers over the real database.
  const deps = { clock, consoleKey };
  const fetchVia = routeFetch([
    ["/api/v1/keys", (req) => handleKeys(database.db, req)],
    ["/api/v1/revocations", () => Response.json({ revocations: [], next: 0 })],
    ["/api/v1/escalations", (req) => handleEscalationPickup(database.db, req, deps)],
    [/^\/api\/v1\/escalations\/[^/]+\/use$/, (req) => handleEscalationUse(database.db, req, deps)],
    ["/api/v1/introspect", (req) => handleIntrospect(database.db, req, deps)],
  ]);

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    admin = await signedIn(database.db, { email: "admin@acme.test", role: "admin", tenants: ["acme"] });
    admin2 = await signedIn(database.db, { email: "second@acme.test", role: "admin", tenants: ["acme"] });
    globexAdmin = await signedIn(database.db, {
      email: "admin@globex.test",
      role: "admin",
      tenants: ["globex"],
    });
    investigator = await signedIn(database.db, {
      email: "investigator@acme.test",
      role: "investigator",
      tenants: ["acme"],
    });
    acmeKey = (await insertApiKey(database.db, { tenant: "acme", source: "platform", createdBy: "test" }))
      .key;
    await database.db
      .insert(issuers)
      .values({ kid: consoleKey.kid, tenant: null, publicKey: consoleKey.publicKey });
  });
  afterAll(async () => {
    await database?.close();
  });

  describe("the escalation policy", () => {
    const policy = (over: Partial<{ twoPersonEscalations: boolean; escalationMaxTtlSeconds: number }> = {}) =>
      tenantPolicySchema.parse({
        tenant: "acme",
        twoPersonEscalations: false,
        escalationMaxTtlSeconds: 300,
        ...over,
      });

    it("is listed per tenant in scope, with the defaults", async () => {
      expect(await listTenantPolicies(database.db, admin)).toEqual([
        {
          tenant: "acme",
          name: expect.any(String),
          twoPersonEscalations: false,
          escalationMaxTtlSeconds: 300,
          retentionDays: null,
        },
      ]);
      await expect(listTenantPolicies(database.db, investigator)).rejects.toBeInstanceOf(ForbiddenError);
    });

    it("names the field a bad value is in", () => {
      const r = tenantPolicySchema.safeParse({
        tenant: "acme",
        twoPersonEscalations: false,
        escalationMaxTtlSeconds: 7200,
      });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(["escalationMaxTtlSeconds"]);
      expect(r.error?.issues[0]?.message).toMatch(/at most 3600/);
    });

    it("is refused to other roles and other tenants' admins, changing nothing", async () => {
      const before = await dumpAllTables(database.db);
      await expect(
        setTenantPolicy(database.db, investigator, policy({ twoPersonEscalations: true })),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        setTenantPolicy(database.db, globexAdmin, policy({ twoPersonEscalations: true })),
      ).rejects.toBeInstanceOf(ForbiddenError);
      expect(await dumpAllTables(database.db)).toBe(before);
    });

    it("turns the two-person rule on (an event records before and after); issuing then waits for approval", async () => {
      await setTenantPolicy(
        database.db,
        admin,
        policy({ twoPersonEscalations: true, escalationMaxTtlSeconds: 120 }),
      );
      const [changed] = await database.db
        .select()
        .from(events)
        .where(and(eq(events.tenant, "acme"), eq(events.type, "console.tenant.policy_changed")));
      expect(changed?.principal).toBe(admin.email);
      expect(changed?.meta).toMatchObject({
        before: { twoPersonEscalations: false, escalationMaxTtlSeconds: 300 },
        after: { twoPersonEscalations: true, escalationMaxTtlSeconds: 120 },
      });
      const input = issueEscalationSchema.parse({
        tenant: "acme",
        principal: "alice@acme.example",
        session: "sess_alice",
        ...OP,
        ttlSeconds: 60,
        reason: "policy test",
      });
      const pending = await issueEscalation(database.db, admin, input, { consoleKey, clock });
      expect(pending.status).toBe("pending");
      expect(pending.token).toBeUndefined();
      // The new cap is enforced.
      await expect(
        issueEscalation(database.db, admin, { ...input, ttlSeconds: 200 }, { consoleKey, clock }),
      ).rejects.toThrow(/at most 120 seconds/);
      const approved = await approveEscalation(
        database.db,
        admin2,
        { id: pending.id },
        { consoleKey, clock },
      );
      expect(approved.status).toBe("active");
      expect(approved.token).toBeTruthy();
    });

    it("needs a recent sign-in to relax, not to tighten", async () => {
      const stale = { ...admin, authTime: STALE };
      await expect(
        setTenantPolicy(
          database.db,
          stale,
          policy({ twoPersonEscalations: false, escalationMaxTtlSeconds: 120 }),
        ),
      ).rejects.toBeInstanceOf(ReauthRequiredError);
      await expect(
        setTenantPolicy(
          database.db,
          stale,
          policy({ twoPersonEscalations: true, escalationMaxTtlSeconds: 600 }),
        ),
      ).rejects.toBeInstanceOf(ReauthRequiredError);
      const tightened = await setTenantPolicy(
        database.db,
        stale,
        policy({ twoPersonEscalations: true, escalationMaxTtlSeconds: 90 }),
      );
      expect(tightened.escalationMaxTtlSeconds).toBe(90);
      await setTenantPolicy(database.db, admin, policy());
      const [row] = await database.db.select().from(tenants).where(eq(tenants.id, "acme"));
      expect(row?.settings).toMatchObject({ twoPersonEscalations: false, escalationMaxTtlSeconds: 300 });
    });

    it("binds an approval to the TTL cap in force when it is approved", async () => {
      await setTenantPolicy(
        database.db,
        admin,
        policy({ twoPersonEscalations: true, escalationMaxTtlSeconds: 300 }),
      );
      const asked = await issueEscalation(
        database.db,
        admin,
        issueEscalationSchema.parse({
          tenant: "acme",
          principal: "alice@acme.example",
          session: "sess_cap",
          ...OP,
          ttlSeconds: 200,
          reason: "long job",
        }),
        { consoleKey, clock },
      );
      await setTenantPolicy(
        database.db,
        admin,
        policy({ twoPersonEscalations: true, escalationMaxTtlSeconds: 60 }),
      );
      await expect(
        approveEscalation(database.db, admin2, { id: asked.id }, { consoleKey, clock }),
      ).rejects.toThrow("This request asks for 200 seconds; acme now allows at most 60.");
      const [row] = (await listEscalations(database.db, admin)).filter((e) => e.id === asked.id);
      expect(row?.status).toBe("pending");
      await setTenantPolicy(database.db, admin, policy());
    });
  });

  describe("retention", () => {
    const retention = (days: string) => tenantRetentionSchema.parse({ tenant: "acme", retentionDays: days });

    it("names the field a bad value is in; empty means forever", () => {
      for (const [value, message] of [
        ["0", /at least 1 day/],
        ["1.5", /whole number/],
        ["99999", /at most 36500/],
        ["soon", /number of days/],
      ] as const) {
        const r = tenantRetentionSchema.safeParse({ tenant: "acme", retentionDays: value });
        expect(r.success, value).toBe(false);
        expect(r.error?.issues[0]?.path).toEqual(["retentionDays"]);
        expect(r.error?.issues[0]?.message).toMatch(message);
      }
      expect(retention("").retentionDays).toBeNull();
      expect(retention("400").retentionDays).toBe(400);
    });

    it("is set by the tenant's admin only, shortening needs a recent sign-in, every change an event", async () => {
      const before = await dumpAllTables(database.db);
      await expect(setTenantRetention(database.db, investigator, retention("30"))).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      await expect(setTenantRetention(database.db, globexAdmin, retention("30"))).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      const stale = { ...admin, authTime: STALE };
      await expect(setTenantRetention(database.db, stale, retention("400"))).rejects.toBeInstanceOf(
        ReauthRequiredError,
      );
      expect(await dumpAllTables(database.db)).toBe(before);
      expect(await setTenantRetention(database.db, admin, retention("400"))).toEqual({
        tenant: "acme",
        before: null,
        after: 400,
      });
      // Lengthening (or keeping forever) deletes nothing sooner: no fresh sign-in needed.
      await setTenantRetention(database.db, stale, retention("800"));
      await expect(setTenantRetention(database.db, stale, retention("500"))).rejects.toBeInstanceOf(
        ReauthRequiredError,
      );
      await setTenantRetention(database.db, stale, retention(""));
      const changes = await database.db
        .select({ meta: events.meta, principal: events.principal })
        .from(events)
        .where(and(eq(events.tenant, "acme"), eq(events.type, "console.tenant.retention_changed")))
        .orderBy(events.seq);
      expect(changes.map((c) => c.meta)).toEqual([
        { before: null, after: 400 },
        { before: 400, after: 800 },
        { before: 800, after: null },
      ]);
      expect(changes.every((c) => c.principal === admin.email)).toBe(true);
      expect((await listTenantPolicies(database.db, admin))[0]?.retentionDays).toBeNull();
    });
  });

  describe("issuer keys", () => {
    let platform: IssuerKeyPair;
    beforeAll(async () => {
      platform = await generateIssuerKey("acme-platform-2026-11");
    });
    const keysOf = async (at?: Date) => {
      const res = await handleKeys(
        database.db,
        new Request(`${base}/api/v1/keys`, { headers: { authorization: `Bearer ${acmeKey}` } }),
      );
      expect(res.status).toBe(200);
      void at;
      return ((await res.json()) as { keys: { kid: string; status: string; verifiesUntil?: string }[] }).keys;
    };

    it("an admin adds the platform's public key; verifiers see it; bad input names its field", async () => {
      const bad = addIssuerKeySchema.safeParse({ tenant: "acme", kid: "acme key!", publicKey: "ed25519/zz" });
      expect(bad.success).toBe(false);
      expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual(["kid", "publicKey"]);
      // 32 bytes that are not a curve point.
      await expect(
        addIssuerKey(database.db, admin, {
          tenant: "acme",
          kid: "acme-bad",
          publicKey: `ed25519/${"ff".repeat(32)}`,
        }),
      ).rejects.toThrow(/not a valid Ed25519 public key/);

      const row = await addIssuerKey(database.db, admin, {
        tenant: "acme",
        kid: platform.kid,
        publicKey: platform.publicKey,
      });
      expect(row).toMatchObject({ kid: platform.kid, tenant: "acme", status: "active" });
      expect((await keysOf()).map((k) => k.kid)).toContain(platform.kid);
      const listed = await listIssuerKeys(database.db, admin);
      expect(listed.map((k) => [k.kid, k.tenant])).toEqual(
        expect.arrayContaining([
          [consoleKey.kid, null],
          [platform.kid, "acme"],
        ]),
      );
      expect((await listIssuerKeys(database.db, globexAdmin)).map((k) => k.kid)).not.toContain(platform.kid);
    });

    it("refuses a taken kid, a registered key, another tenant and other roles", async () => {
      const other = await generateIssuerKey("acme-other");
      await expect(
        addIssuerKey(database.db, admin, { tenant: "acme", kid: platform.kid, publicKey: other.publicKey }),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(
        addIssuerKey(database.db, admin, {
          tenant: "acme",
          kid: "acme-again",
          publicKey: platform.publicKey,
        }),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(
        addIssuerKey(database.db, globexAdmin, { tenant: "acme", kid: "sneaky", publicKey: other.publicKey }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      // A globex admin adding to globex learns nothing of acme's keys from the refusal.
      const generic = "That key id or public key cannot be used; choose another key id or key.";
      await expect(
        addIssuerKey(database.db, globexAdmin, {
          tenant: "globex",
          kid: platform.kid,
          publicKey: other.publicKey,
        }),
      ).rejects.toThrow(generic);
      await expect(
        addIssuerKey(database.db, globexAdmin, {
          tenant: "globex",
          kid: "globex-x",
          publicKey: platform.publicKey,
        }),
      ).rejects.toThrow(generic);
      // acme's own admin is told which of its keys is in the way.
      await expect(
        addIssuerKey(database.db, admin, { tenant: "acme", kid: platform.kid, publicKey: other.publicKey }),
      ).rejects.toThrow(`${platform.kid} is already a key of acme.`);
      // The console's names are reserved.
      await expect(
        addIssuerKey(database.db, admin, {
          tenant: "acme",
          kid: "console-2099-01-abcdef",
          publicKey: other.publicKey,
        }),
      ).rejects.toThrow("are the console's own");
      await expect(
        addIssuerKey(database.db, investigator, {
          tenant: "acme",
          kid: "sneaky",
          publicKey: other.publicKey,
        }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        retireIssuerKey(database.db, globexAdmin, { kid: platform.kid, graceSeconds: 0 }),
      ).rejects.toBeInstanceOf(NotFoundError);
      // The console's own key is the deployment's to rotate.
      await expect(
        retireIssuerKey(database.db, admin, { kid: consoleKey.kid, graceSeconds: 0 }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });

    it("a retired key verifies through its grace period and not after: in the key list, introspection and the SDK", async () => {
      const t0 = Date.now();
      const sdkClock = { now: () => t0 };
      const token = (
        await mintCapability({
          issuer: platform,
          tenant: "acme",
          principal: "alice@acme.example",
          agent: "alice-assistant",
          session: "sess_grace",
          request: "req_grace",
          rights: [{ resource: "Customer", actions: ["read"] }],
          ttlMs: 24 * 3_600_000,
          clock: { now: () => t0 },
        })
      ).token;
      const verifier = await createPlatformVerifier({
        baseUrl: base,
        apiKey: acmeKey,
        fetch: fetchVia,
        clock: sdkClock,
        pollIntervalMs: 60_000,
      });
      try {
        expect(verifier.verify(token).ok).toBe(true);
        const retired = await retireIssuerKey(
          database.db,
          admin,
          { kid: platform.kid, graceSeconds: 3600 },
          new Date(t0),
        );
        expect(retired.verifiesUntil?.getTime()).toBe(t0 + 3_600_000);
        await expect(
          retireIssuerKey(database.db, admin, { kid: platform.kid, graceSeconds: 60 }),
        ).rejects.toBeInstanceOf(ConflictError);
        const listed = (await keysOf()).find((k) => k.kid === platform.kid);
        expect(listed).toMatchObject({
          status: "retired",
          verifiesUntil: new Date(t0 + 3_600_000).toISOString(),
        });

        await verifier.refreshKeys();
        sdkClock.now = () => t0 + 3_600_000 - 1;
        expect(verifier.verify(token).ok).toBe(true);
        sdkClock.now = () => t0 + 3_600_000;
        const refused = verifier.verify(token);
        expect(refused.ok).toBe(false);
        if (!refused.ok) {
          expect(refused.error.code).toBe("unknown_key");
          expect(refused.error.message).toMatch(/retired and its grace period ended/);
        }

        // A token that names no issuer in its blocks is judged by the key that verified it.
        const bare = await bareToken(platform);
        sdkClock.now = () => t0 + 3_600_000 - 1;
        expect(verifier.verify(bare).ok).toBe(true);
        sdkClock.now = () => t0 + 3_600_000;
        expect(verifier.verify(bare)).toMatchObject({ ok: false, error: { code: "unknown_key" } });

        // The console agrees: introspection after the grace period does not recognise it.
        const introspect = (at: number) =>
          handleIntrospect(
            database.db,
            new Request(`${base}/api/v1/introspect`, {
              method: "POST",
              headers: { authorization: `Bearer ${acmeKey}`, "content-type": "application/json" },
              body: JSON.stringify({ token }),
            }),
            { clock: { now: () => at }, consoleKey },
          ).then((r) => r.json() as Promise<{ active: boolean; reason?: string }>);
        expect((await introspect(t0 + 3_600_000 - 1000)).active).toBe(true);
        expect(await introspect(t0 + 3_600_000 + 1000)).toMatchObject({
          active: false,
          reason: "token not recognised",
        });
      } finally {
        verifier.close();
      }
      const [audit] = await database.db
        .select()
        .from(events)
        .where(and(eq(events.tenant, "acme"), eq(events.type, "console.issuer_key.retired")));
      expect(audit?.resourceId).toBe(platform.kid);
    });
  });

  describe("the platform's escalations through the SDK", () => {
    const sdk = () => ({ baseUrl: base, apiKey: acmeKey, fetch: fetchVia });
    /** An escalation for Alice's session, delivered to the platform (the console shows no token). */
    const issueForPlatform = (session: string, extra: { ttlSeconds?: number; singleUse?: boolean } = {}) =>
      issueEscalation(
        database.db,
        admin,
        issueEscalationSchema.parse({
          tenant: "acme",
          principal: "alice@acme.example",
          session,
          ...OP,
          ...extra,
          delivery: "platform",
          reason: `${session} test`,
        }),
        { consoleKey, clock },
      );
    const pickUpOne = async (session: string) => {
      const [grant] = await pickUpEscalations(sdk(), session);
      if (!grant) throw new Error("nothing picked up");
      return grant;
    };

    it("picks up once, records each use before acting, refuses after expiry, and lists every attempt", async () => {
      const issued = await issueForPlatform("sess_sdk", { ttlSeconds: 30, singleUse: false });
      const [grant, ...rest] = await pickUpEscalations(sdk(), "sess_sdk");
      expect(rest).toEqual([]);
      expect(await pickUpEscalations(sdk(), "sess_sdk")).toEqual([]);
      if (!grant) throw new Error("nothing picked up");
      expect(grant).toMatchObject({ id: issued.id, singleUse: false, operation: OP, session: "sess_sdk" });

      const first = await useEscalation(sdk(), grant, grant.operation);
      expect(first).toMatchObject({ allowed: true, useCount: 1 });
      const wrong = await useEscalation(sdk(), grant, { ...grant.operation, resourceId: "o_other" });
      expect(wrong).toMatchObject({ allowed: false, code: "operation_mismatch" });
      clock.advance(30_000);
      const late = await useEscalation(sdk(), grant, grant.operation);
      expect(late).toEqual({ allowed: false, code: "expired", reason: "the escalation has expired" });

      const [row] = (await listEscalations(database.db, admin)).filter((e) => e.id === issued.id);
      expect(row?.status).toBe("expired");
      expect(row?.uses.map((u) => [u.outcome, u.code])).toEqual([
        ["allowed", null],
        ["denied", "operation_mismatch"],
        ["denied", "expired"],
      ]);
      expect(row?.uses.every((u) => u.source === "platform")).toBe(true);
    });

    it("answers a platform over its rate with 429 and Retry-After, before any work", async () => {
      let t = 0;
      const limiter = createRateLimiter({ burst: 2, perSecond: 1, now: () => t });
      const req = (path: string, body?: unknown) =>
        new Request(`${base}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { authorization: `Bearer ${acmeKey}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const deps = { clock, consoleKey, limiter };
      const pickup = () =>
        handleEscalationPickup(database.db, req("/api/v1/escalations?session=sess_rate"), deps);
      expect((await pickup()).status).toBe(200);
      expect((await pickup()).status).toBe(200);
      // A real grant: had the limiter run after the work, this refused use would be an event.
      await issueForPlatform("sess_rate_grant");
      const grant = await pickUpOne("sess_rate_grant");
      const before = await dumpAllTables(database.db);
      const use = await handleEscalationUse(
        database.db,
        req(`/api/v1/escalations/${grant.id}/use`, { token: grant.token, operation: grant.operation }),
        deps,
      );
      expect(use.status).toBe(429);
      expect(use.headers.get("retry-after")).toBe("1");
      const introspected = await handleIntrospect(
        database.db,
        req("/api/v1/introspect", { token: "x" }),
        deps,
      );
      expect(introspected.status).toBe(429);
      expect((await pickup()).status).toBe(429);
      expect(await dumpAllTables(database.db)).toBe(before);
      t += 1000;
      expect((await pickup()).status).toBe(200);
    });

    it("draws an escalation in the graph of the request whose call it authorized", async () => {
      const issued = await issueForPlatform("sess_graph", { ttlSeconds: 60 });
      const grant = await pickUpOne("sess_graph");
      const verifier = await createPlatformVerifier({ ...sdk(), clock });
      const verified = verifier.verify(grant.token);
      verifier.close();
      if (!verified.ok) throw verified.error;
      const capability = eventCapability(verified.capability);
      const now = new Date(clock.now());
      const event = {
        id: "01900000-0000-7000-8000-0000000000e1",
        ts: now.toISOString(),
        tenant: "acme",
        type: "tool.call",
        principal: "alice@acme.example",
        agent: "alice-assistant/classifier",
        session: "sess_graph",
        request: "req_graph",
        tool: OP.tool,
        action: "write",
        resource: { type: "Order", id: OP.resourceId },
        outcome: "allowed",
        capability,
        meta: { escalation: true, escalationId: issued.id },
      };
      const res = await handleIngest(
        database.db,
        new Request(`${base}/api/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${acmeKey}`, "content-type": "application/json" },
          // The same grant (multi-use, say) also served another request.
          body: JSON.stringify({
            events: [
              event,
              { ...event, id: "01900000-0000-7000-8000-0000000000e2", request: "req_graph_2" },
              { ...event, id: "01900000-0000-7000-8000-0000000000e3", request: "req_graph_2" },
            ],
          }),
        }),
      );
      expect(res.status, await res.clone().text()).toBe(200);
      for (const [request, calls] of [
        ["req_graph", 1],
        ["req_graph_2", 2],
      ] as const) {
        const graph = await getRequestGraph(database.db, investigator, request);
        const node = graph?.nodes.find((n) => n.id === grant.capabilityId);
        expect(node?.kind).toBe("escalation");
        expect(node?.calls.allowed, request).toBe(calls);
      }
    });
  });
});
