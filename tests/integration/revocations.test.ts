import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, events, issuers, type NewCapability, revocations, sessions } from "@/db/schema";
import { handleKeys, handleRevocations } from "@/lib/api/verifier-routes";
import { appendEvents } from "@/lib/audit/append";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import {
  type Capability,
  generateIssuerKey,
  type IssuerKeyPair,
  mintCapability,
  systemClock,
} from "@/lib/capability";
import { listAgentSessions } from "@/lib/data/agent-sessions";
import { insertApiKey } from "@/lib/data/api-keys";
import { ConflictError, NotFoundError } from "@/lib/data/console-users";
import { issueEscalation, issueEscalationSchema } from "@/lib/data/escalations";
import {
  getBlastRadius,
  type RevokeTarget,
  revokeCapability,
  revokeEscalation,
  revokePrincipal,
  revokeSession,
} from "@/lib/data/revocations";
import { uuidv7 } from "@/lib/ids";
import { createPlatformVerifier } from "@/lib/sdk/platform";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

const HOUR = 3_600_000;

describe.each(backends)("revocations on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let globexAdmin: Authority;
  let investigator: Authority;
  let viewer: Authority;
  let acmeKey: string;
  let platform: IssuerKeyPair;
  const consoleKey = generateConsoleKey();
  const base = "http://console.test";
  const now = Date.now();

  const fetchVia = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const path = new URL(req.url).pathname;
    if (path === "/api/v1/keys") return handleKeys(database.db, req);
    if (path === "/api/v1/revocations") return handleRevocations(database.db, req);
    return new Response("not found", { status: 404 });
  }) as typeof fetch;

  const capRow = (id: string, over: Partial<NewCapability> = {}): NewCapability => ({
    id,
    tenant: "acme",
    tokenHash: `sha256:${id.padEnd(64, "0")}`,
    rootId: over.ancestors?.[0] ?? id,
    ancestors: [],
    depth: over.ancestors?.length ?? 0,
    principal: "alice@acme.example",
    session: "s1",
    kind: over.ancestors?.length ? "attenuated" : "minted",
    issuedAt: new Date(now - HOUR),
    expiresAt: new Date(now + HOUR),
    ...over,
  });

  const calls = (
    n: number,
    over: { session: string; principal: string; capabilityId: string; ago: number },
  ) =>
    Array.from({ length: n }, () => ({
      id: uuidv7(),
      ts: new Date(now - over.ago),
      tenant: "acme",
      type: "tool.call",
      principal: over.principal,
      session: over.session,
      capabilityId: over.capabilityId,
      tool: "crm.lookup",
      outcome: "allowed" as const,
    }));

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    admin = await signedIn(database.db, { email: "root@x.test", role: "admin", tenants: ["acme", "globex"] });
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
    platform = await generateIssuerKey("acme-2026-11");
    await database.db.insert(issuers).values([
      { kid: platform.kid, tenant: "acme", publicKey: platform.publicKey },
      { kid: consoleKey.kid, tenant: null, publicKey: consoleKey.publicKey },
    ]);
    // The fixture tree, alice: r1 -> c1 -> g1 (session s1), r1 -> c2 (expired); o1 (session s2).
    // bob: b1 (session s3).
    await database.db
      .insert(capabilities)
      .values([
        capRow("a1"),
        capRow("c1", { ancestors: ["a1"], parentId: "a1" }),
        capRow("d1", { ancestors: ["a1", "c1"], parentId: "c1" }),
        capRow("c2", { ancestors: ["a1"], parentId: "a1", expiresAt: new Date(now - 1000) }),
        capRow("0e1", { session: "s2" }),
        capRow("b1", { session: "s3", principal: "bob@acme.example" }),
      ]);
    await database.db.insert(sessions).values([
      { id: "s1", tenant: "acme", principal: "alice@acme.example", lastSeenAt: new Date(now) },
      { id: "s2", tenant: "acme", principal: "alice@acme.example", lastSeenAt: new Date(now) },
      { id: "s3", tenant: "acme", principal: "bob@acme.example", lastSeenAt: new Date(now) },
    ]);
    const alice = { principal: "alice@acme.example" };
    await appendEvents(database.db, [
      ...calls(3, { ...alice, session: "s1", capabilityId: "d1", ago: 60_000 }),
      ...calls(1, { ...alice, session: "s1", capabilityId: "c1", ago: 2 * HOUR }),
      ...calls(2, { ...alice, session: "s2", capabilityId: "0e1", ago: 10_000 }),
      ...calls(4, { principal: "bob@acme.example", session: "s3", capabilityId: "b1", ago: 10_000 }),
    ]);
  });
  afterAll(() => database.close());

  const radius = (target: RevokeTarget, who = admin) =>
    getBlastRadius(database.db, who, target, { clock: { now: () => now } });

  it("measures the blast radius of each kind of revocation on a small tree", async () => {
    expect(await radius({ kind: "capability", capabilityId: "c1" })).toEqual({
      tenant: "acme",
      liveCapabilities: 2,
      sessions: 1,
      escalations: 0,
      callsLastHour: 3,
    });
    expect(await radius({ kind: "capability", capabilityId: "a1" })).toMatchObject({
      liveCapabilities: 3,
      callsLastHour: 3,
    });
    expect(await radius({ kind: "session", session: "s1" })).toMatchObject({
      liveCapabilities: 3,
      sessions: 1,
      callsLastHour: 3,
    });
    expect(
      await radius({ kind: "principal", tenant: "acme", principal: "alice@acme.example" }),
    ).toMatchObject({
      liveCapabilities: 4,
      sessions: 2,
      callsLastHour: 5,
    });
    expect(await radius({ kind: "principal", tenant: "acme", principal: "bob@acme.example" })).toMatchObject({
      liveCapabilities: 1,
      sessions: 1,
      callsLastHour: 4,
    });
  });

  it("refuses viewers, investigators and other tenants' admins, changing nothing", async () => {
    const snapshot = async () => ({
      revocations: await database.db.select().from(revocations),
      sessions: await database.db.select().from(sessions).orderBy(sessions.id),
      events: (await database.db.select({ n: count() }).from(events))[0]?.n,
    });
    const before = await snapshot();
    for (const who of [viewer, investigator]) {
      await expect(revokeSession(database.db, who, { session: "s1", reason: "x" })).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      await expect(radius({ kind: "session", session: "s1" }, who)).rejects.toBeInstanceOf(ForbiddenError);
    }
    for (const who of [viewer, investigator, globexAdmin]) {
      await expect(revokeSession(database.db, who, { session: "s1", reason: "x" })).rejects.toThrow();
      await expect(revokeCapability(database.db, who, { capabilityId: "c1", reason: "x" })).rejects.toThrow();
      await expect(
        revokePrincipal(database.db, who, { tenant: "acme", principal: "alice@acme.example", reason: "x" }),
      ).rejects.toThrow();
      await expect(radius({ kind: "capability", capabilityId: "c1" }, who)).rejects.toThrow();
    }
    await expect(listAgentSessions(database.db, viewer)).rejects.toBeInstanceOf(ForbiddenError);
    expect(await listAgentSessions(database.db, globexAdmin)).toEqual([]);
    expect((await listAgentSessions(database.db, investigator)).map((s) => s.id)).toEqual(["s1", "s2", "s3"]);
    // Another tenant's admin learns nothing: the same "unknown" as a made-up id.
    await expect(radius({ kind: "session", session: "s1" }, globexAdmin)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(
      revokeCapability(database.db, globexAdmin, { capabilityId: "c1", reason: "x" }),
    ).rejects.toThrow("Unknown capability.");
    expect(await snapshot()).toEqual(before);
  });

  it("puts every kind on the feed at once, with the events and the session columns", async () => {
    const feed = async (since = 0) =>
      (await (
        await fetchVia(`${base}/api/v1/revocations?since=${since}`, {
          headers: { authorization: `Bearer ${acmeKey}` },
        })
      ).json()) as { revocations: { kind: string; target: string; revokedIds: string[]; reason: string }[] };
    const start = (await database.db.select({ n: count() }).from(revocations))[0]?.n ?? 0;
    const cap = await revokeCapability(database.db, admin, { capabilityId: "c1", reason: "leaked" });
    expect(cap.revokedIds).toEqual(["c1", "d1"]);
    await expect(
      revokeCapability(database.db, admin, { capabilityId: "d1", reason: "again" }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await radius({ kind: "capability", capabilityId: "a1" })).toMatchObject({ liveCapabilities: 1 });

    await revokeSession(database.db, admin, { session: "s2", reason: "laptop stolen" });
    const [s2] = await database.db.select().from(sessions).where(eq(sessions.id, "s2"));
    expect(s2).toMatchObject({ revokedBy: "root@x.test", revokeReason: "laptop stolen" });
    expect(s2?.revokedAt).toBeInstanceOf(Date);

    const esc = await issueEscalation(
      database.db,
      admin,
      issueEscalationSchema.parse({
        tenant: "acme",
        principal: "bob@acme.example",
        session: "s3",
        tool: "crm.update",
        resourceType: "Order",
        resourceId: "o_1",
        action: "write",
        reason: "r",
      }),
      { consoleKey },
    );
    await revokeEscalation(database.db, admin, { escalationId: esc.id, reason: "not needed" });

    const bob = await revokePrincipal(database.db, admin, {
      tenant: "acme",
      principal: "bob@acme.example",
      reason: "left the company",
    });
    expect(bob.sessions).toBe(1);
    const [s3] = await database.db.select().from(sessions).where(eq(sessions.id, "s3"));
    expect(s3?.revokeReason).toBe("left the company");
    expect(await radius({ kind: "principal", tenant: "acme", principal: "bob@acme.example" })).toMatchObject({
      liveCapabilities: 0,
      sessions: 0,
    });

    const entries = (await feed()).revocations.slice(start);
    expect(entries.map((e) => [e.kind, e.target])).toEqual([
      ["capability", "c1"],
      ["session", "s2"],
      ["escalation", esc.id],
      ["principal", "bob@acme.example"],
    ]);
    expect(entries[2]?.revokedIds).toEqual([esc.capabilityId]);
    const types = (await database.db.select({ type: events.type }).from(events)).map((e) => e.type);
    for (const t of ["capability.revoked", "session.revoked", "escalation.revoked", "principal.revoked"])
      expect(types).toContain(t);
  });

  it("lets an SDK verifier deny a narrowed token once its ancestor is revoked here, and says how fast", async () => {
    const verifier = await createPlatformVerifier({
      baseUrl: base,
      apiKey: acmeKey,
      fetch: fetchVia,
      clock: systemClock,
      pollIntervalMs: 100,
    });
    try {
      const root = await mintCapability({
        issuer: platform,
        tenant: "acme",
        principal: "carol@acme.example",
        agent: "carol-bot",
        session: "s_sdk",
        request: "req_sdk",
        rights: [{ resource: "Order", actions: ["read", "write"] }],
        ttlMs: 600_000,
        clock: systemClock,
      });
      const child = root.narrowTo({ resource: "Order", action: "write" });
      const grandchild = child.narrowTo({ id: "o_1" });
      const record = (c: Capability) =>
        capRow(c.id, {
          ancestors: c.revocationIds.slice(0, -1),
          parentId: c.parentId ?? null,
          rootId: c.rootId,
          depth: c.depth,
          principal: "carol@acme.example",
          session: "s_sdk",
        });
      await database.db.insert(capabilities).values([root, child, grandchild].map(record));
      expect(verifier.verify(grandchild.token).ok).toBe(true);

      const t0 = performance.now();
      const res = await revokeCapability(database.db, admin, {
        capabilityId: child.id,
        reason: "compromised",
      });
      expect(res.revokedIds).toEqual([child.id, grandchild.id]);
      while (verifier.verify(grandchild.token).ok) {
        if (performance.now() - t0 > verifier.follower.maxDelayMs) throw new Error("not denied in time");
        await new Promise((r) => setTimeout(r, 5));
      }
      const delay = performance.now() - t0;
      console.info(
        `[revocations/${backend.name}] SDK verifier denied the narrowed token ${delay.toFixed(0)} ms after revokeCapability started`,
      );
      expect(delay).toBeLessThan(verifier.follower.maxDelayMs);
      const denied = verifier.verify(grandchild.token);
      expect(denied.ok ? "" : denied.error.message).toMatch(/revoked/);
      expect(verifier.verify(child.token).ok).toBe(false);
      expect(verifier.verify(root.token).ok).toBe(true);
    } finally {
      verifier.close();
    }
  });
});
