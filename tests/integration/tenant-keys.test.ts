import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, events, sessions } from "@/db/schema";
import { handleRevocations } from "@/lib/api/verifier-routes";
import { verifyTenantChain } from "@/lib/audit/verify";
import type { Authority } from "@/lib/auth/authority";
import { listAgentSessions, sessionState } from "@/lib/data/agent-sessions";
import { getCapabilityDetail, getRequestGraph, tenantsHolding } from "@/lib/data/capabilities";
import { listEvents } from "@/lib/data/events-query";
import { getBlastRadius, listRevocations, revokeCapability, revokeSession } from "@/lib/data/revocations";
import { AmbiguousTenantError } from "@/lib/data/tenant-lookup";
import { uuidv7 } from "@/lib/ids";
import { handleIngest, type StoreResult } from "@/lib/ingest";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { ingestRequest, makeEvent, newKey, verifyKeys } from "../support/ingest-fixtures";

// Issue 11, items 1 and 2, played as an attacker would: one tenant's ingest key against another
// tenant's ids, an admin of two tenants, and a platform claiming an admin's name.

describe.each(backends)("tenant-first keys on $name", (backend) => {
  let database: Database;
  let acmeKey: string;
  let globexKey: string;
  let both: Authority;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    acmeKey = await newKey(database.db, "acme", "acme-platform");
    globexKey = await newKey(database.db, "globex", "globex-platform");
    both = await signedIn(database.db, { email: "root@x.test", role: "admin", tenants: ["acme", "globex"] });
  });
  afterAll(() => database.close());

  const send = async (key: string, evs: unknown[]) => {
    const res = await handleIngest(database.db, ingestRequest(key, { events: evs }));
    expect(res.status).toBe(200);
    return (await res.json()) as StoreResult;
  };
  const feed = async (key: string, since = 0) => {
    const res = await handleRevocations(
      database.db,
      new Request(`http://console.test/api/v1/revocations?since=${since}`, {
        headers: { authorization: `Bearer ${key}` },
      }),
    );
    expect(res.status).toBe(200);
    return (await res.json()) as {
      revocations: { cursor: number; kind: string; target: string }[];
      next: number;
    };
  };

  it("stores two tenants' events with the same event, session and capability ids, and neither key learns of the other", async () => {
    const shared = makeEvent("acme", { session: "sess_shared" });
    expect((await send(acmeKey, [shared])).results).toEqual([{ id: shared.id, status: "created" }]);

    // globex's key sends the same ids, and a fresh id: the answers must be alike ("created").
    const fresh = makeEvent("globex", { session: "sess_other" });
    const same: Record<string, unknown> = {
      ...makeEvent("globex", { session: "sess_shared" }),
      id: shared.id,
      capability: {
        ...(shared.capability as object),
        summary: { tenants: ["globex"], session: "sess_shared" },
      },
    };
    const answer = await send(globexKey, [fresh, same]);
    expect(answer.results).toEqual([
      { id: fresh.id, status: "created" },
      { id: shared.id, status: "created" },
    ]);
    expect(answer).toMatchObject({ accepted: 2, duplicates: 0, conflicts: 0 });

    const byTenant = async (table: typeof events | typeof sessions | typeof capabilities, id: string) =>
      (await database.db.select({ tenant: table.tenant }).from(table).where(eq(table.id, id)))
        .map((r) => r.tenant)
        .sort();
    expect(await byTenant(events, shared.id as string)).toEqual(["acme", "globex"]);
    expect(await byTenant(sessions, "sess_shared")).toEqual(["acme", "globex"]);
    const capId = (shared.capability as { id: string }).id;
    expect(await byTenant(capabilities, capId)).toEqual(["acme", "globex"]);
    // Each tenant's capability row is its own: globex's summary did not touch acme's.
    const [acmeCap] = await database.db
      .select({ summary: capabilities.summary })
      .from(capabilities)
      .where(and(eq(capabilities.tenant, "acme"), eq(capabilities.id, capId)));
    expect(acmeCap?.summary).toMatchObject({ tenants: ["acme"] });

    // A retry by either key is that key's own duplicate; another tenant's row never makes a conflict.
    expect((await send(acmeKey, [shared])).results).toEqual([{ id: shared.id, status: "duplicate" }]);
    expect((await send(globexKey, [same])).results).toEqual([{ id: shared.id, status: "duplicate" }]);
    for (const tenant of ["acme", "globex"])
      expect((await verifyTenantChain(database.db, { tenant, keys: verifyKeys })).ok).toBe(true);
  });

  it("does not let a tenant claim a known event id first to get the other tenant's event dropped", async () => {
    const id = uuidv7();
    await send(globexKey, [{ ...makeEvent("globex"), id }]);
    const victim: Record<string, unknown> = { ...makeEvent("acme"), id };
    expect((await send(acmeKey, [victim])).results).toEqual([{ id, status: "created" }]);
    const [row] = await database.db
      .select({ reason: events.reason })
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.id, id)));
    expect(row?.reason).toBe(victim.reason);
  });

  it("an admin of both tenants revokes tenant B's session and touches only B's", async () => {
    const ts = new Date(Date.UTC(2026, 10, 26, 10)).toISOString();
    await send(acmeKey, [makeEvent("acme", { session: "sess_twin", principal: "ann@acme.example", ts })]);
    await send(globexKey, [
      makeEvent("globex", { session: "sess_twin", principal: "gus@globex.example", ts }),
    ]);

    // Without a tenant the id is ambiguous for this admin: asked, never guessed.
    await expect(
      revokeSession(database.db, both, { session: "sess_twin", reason: "x" }),
    ).rejects.toBeInstanceOf(AmbiguousTenantError);
    await expect(
      getBlastRadius(database.db, both, { kind: "session", session: "sess_twin" }),
    ).rejects.toBeInstanceOf(AmbiguousTenantError);
    expect(
      await getBlastRadius(database.db, both, { kind: "session", session: "sess_twin", tenant: "globex" }),
    ).toMatchObject({ tenant: "globex", sessions: 1 });

    const done = await revokeSession(database.db, both, {
      tenant: "globex",
      session: "sess_twin",
      reason: "compromised",
    });
    expect(done.tenant).toBe("globex");
    const twins = await database.db
      .select({ tenant: sessions.tenant, revokedBy: sessions.revokedBy })
      .from(sessions)
      .where(eq(sessions.id, "sess_twin"))
      .orderBy(sessions.tenant);
    expect(twins).toEqual([
      { tenant: "acme", revokedBy: null },
      { tenant: "globex", revokedBy: "root@x.test" },
    ]);
    expect((await feed(globexKey)).revocations.map((r) => [r.kind, r.target])).toContainEqual([
      "session",
      "sess_twin",
    ]);
    expect((await feed(acmeKey)).revocations.map((r) => r.target)).not.toContain("sess_twin");
    // acme's twin is still revocable, on its own.
    expect(
      (await revokeSession(database.db, both, { tenant: "acme", session: "sess_twin", reason: "y" })).tenant,
    ).toBe("acme");
  });

  it("resolves a capability id shared by two tenants only with the tenant named", async () => {
    const ev = makeEvent("acme");
    const capId = (ev.capability as { id: string }).id;
    await send(acmeKey, [ev]);
    await send(globexKey, [{ ...makeEvent("globex"), capability: { ...(ev.capability as object) } }]);
    await expect(
      revokeCapability(database.db, both, { capabilityId: capId, reason: "x" }),
    ).rejects.toBeInstanceOf(AmbiguousTenantError);
    const r = await revokeCapability(database.db, both, {
      tenant: "globex",
      capabilityId: capId,
      reason: "x",
    });
    expect(r).toMatchObject({ tenant: "globex", revokedIds: [capId] });
    expect((await feed(acmeKey)).revocations.map((e) => e.target)).not.toContain(capId);
  });

  it("resolves /capabilities/[id] and /requests/[id] within one tenant, asking when the id is in two", async () => {
    const ev = makeEvent("acme", { request: "req_twin" });
    const cap = ev.capability as { id: string; summary: Record<string, unknown> };
    const capId = cap.id;
    const twinCap = { ...cap, summary: { ...cap.summary, request: "req_twin" } };
    await send(acmeKey, [{ ...ev, capability: twinCap }]);
    await send(globexKey, [{ ...makeEvent("globex", { request: "req_twin" }), capability: twinCap }]);
    expect(await tenantsHolding(database.db, both, { capability: capId })).toEqual(["acme", "globex"]);
    await expect(getCapabilityDetail(database.db, both, { id: capId })).rejects.toBeInstanceOf(
      AmbiguousTenantError,
    );
    const g = await getCapabilityDetail(database.db, both, { id: capId, tenant: "globex" });
    expect(g?.capability.tenant).toBe("globex");
    expect(g?.uses).toEqual({ denied: 1 });
    await expect(getRequestGraph(database.db, both, "req_twin")).rejects.toBeInstanceOf(AmbiguousTenantError);
    const graph = await getRequestGraph(database.db, both, "req_twin", { tenant: "acme" });
    // One node, one call: acme's own, not globex's twin mixed in.
    expect(graph?.nodes.map((n) => [n.id, n.calls.denied])).toEqual([[capId, 1]]);
    // The explorer's under: and cap.right: match an event to its own tenant's capability only.
    const globexCap = {
      ...twinCap,
      id: `${capId.slice(0, -4)}beef`,
      parentId: capId,
      depth: 1,
      kind: "attenuated",
    };
    await send(globexKey, [{ ...makeEvent("globex", { request: "req_twin" }), capability: globexCap }]);
    // acme's own, unrelated root capability that happens to have the id of globex's child.
    const acmeLookalike = { ...twinCap, id: globexCap.id, summary: { tenants: ["acme"] } };
    await send(acmeKey, [{ ...makeEvent("acme"), capability: acmeLookalike }]);
    const under = await listEvents(database.db, both, { q: `under:${capId} tenant:acme`, limit: 50 });
    expect(under.rows.map((r) => r.tenant)).toEqual(["acme"]);
    const underAll = await listEvents(database.db, both, { q: `under:${capId}`, limit: 50 });
    expect(
      underAll.rows.map((r) => `${r.tenant}/${(r as { capabilityId?: string }).capabilityId}`).sort(),
    ).toEqual([`acme/${capId}`, `globex/${capId}`, `globex/${globexCap.id}`].sort());
    // A user of one tenant sees that tenant's only, without being asked.
    const acmeOnly = await signedIn(database.db, {
      email: "a@x.test",
      role: "investigator",
      tenants: ["acme"],
    });
    expect((await getCapabilityDetail(database.db, acmeOnly, { id: capId }))?.capability.tenant).toBe("acme");
    expect(await getCapabilityDetail(database.db, acmeOnly, { id: capId, tenant: "globex" })).toBeNull();
  });

  it("gives each tenant its own feed cursors, in order", async () => {
    const a = await feed(acmeKey);
    const g = await feed(globexKey);
    expect(a.revocations.map((r) => r.cursor)).toEqual([1]);
    expect(g.revocations.map((r) => r.cursor)).toEqual([1, 2]);
    expect((await feed(globexKey, 1)).revocations.map((r) => r.cursor)).toEqual([2]);
  });

  it("shows a platform's session.revoked as the platform's report, and the admin's own revocation still succeeds and enters the feed", async () => {
    const ts = (m: number) => new Date(Date.UTC(2026, 10, 26, 11, m)).toISOString();
    await send(acmeKey, [
      makeEvent("acme", { session: "sess_claimed", principal: "dan@acme.example", ts: ts(0) }),
    ]);
    const {
      capability: _c,
      tool: _t,
      action: _a,
      resource: _r,
      fields: _f,
      inputDigest: _i,
      ...rest
    } = makeEvent("acme", { session: "sess_claimed", principal: "dan@acme.example", ts: ts(1) });
    await send(acmeKey, [
      {
        ...rest,
        type: "session.revoked",
        outcome: "allowed",
        reason: "spoofed",
        meta: { actor: "root@x.test" },
      },
    ]);

    const row = (await listAgentSessions(database.db, both)).find(
      (s) => s.tenant === "acme" && s.id === "sess_claimed",
    );
    if (!row) throw new Error("session not listed");
    expect(sessionState(row)).toEqual({
      state: "reported",
      label: "reported by platform acme-platform",
      reason: "spoofed",
    });
    expect(JSON.stringify(sessionState(row))).not.toContain("root@x.test");
    expect((await feed(acmeKey)).revocations.map((r) => r.target)).not.toContain("sess_claimed");

    const done = await revokeSession(database.db, both, {
      tenant: "acme",
      session: "sess_claimed",
      reason: "really revoked",
    });
    const entries = (await feed(acmeKey)).revocations;
    expect(entries.find((r) => r.cursor === done.cursor)).toMatchObject({
      kind: "session",
      target: "sess_claimed",
    });
    const after = (await listAgentSessions(database.db, both)).find(
      (s) => s.tenant === "acme" && s.id === "sess_claimed",
    );
    expect(after && sessionState(after)).toMatchObject({ state: "revoked", label: "revoked by root@x.test" });
    expect(
      (await listRevocations(database.db, both)).map((r) => [r.tenant, r.target, r.actor]),
    ).toContainEqual(["acme", "sess_claimed", "root@x.test"]);
  });
});
