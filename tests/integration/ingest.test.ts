import { and, asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { apiKeys, capabilities, checkpoints, events, sessions } from "@/db/schema";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import { verifyTenantChain } from "@/lib/audit/verify";
import { handleIngest, type StoreResult } from "@/lib/ingest";
import { backends } from "../support/db";
import { addTenants } from "../support/fixtures";
import { eventCount, ingestRequest, makeEvent, newKey, signer, verifyKeys } from "../support/ingest-fixtures";

describe.each(backends)("ingest on $name", (backend) => {
  let database: Database;
  let acmeKey: string;
  let globexKey: string;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    acmeKey = await newKey(database.db, "acme");
    globexKey = await newKey(database.db, "globex");
  });
  afterAll(() => database.close());

  const send = async (key: string, evs: unknown[]) => {
    const res = await handleIngest(database.db, ingestRequest(key, { events: evs }));
    return { status: res.status, body: (await res.json()) as StoreResult & { error?: string } };
  };

  it("stores a batch sent 5 times concurrently and 5 times in sequence exactly once, chain intact", async () => {
    const before = await eventCount(database.db, "acme");
    const batch = Array.from({ length: 40 }, () => makeEvent("acme"));
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => send(acmeKey, batch)));
    const sequential = [];
    for (let i = 0; i < 5; i++) sequential.push(await send(acmeKey, batch));
    const all = [...concurrent, ...sequential];
    for (const r of all) expect(r.status).toBe(200);
    expect(all.reduce((n, r) => n + r.body.accepted, 0)).toBe(40);
    expect(all.reduce((n, r) => n + r.body.duplicates, 0)).toBe(40 * 9);
    expect(all.every((r) => r.body.conflicts === 0)).toBe(true);
    for (const r of sequential) expect(r.body.results.every((x) => x.status === "duplicate")).toBe(true);

    const ids = batch.map((e) => e.id as string);
    const stored = await database.db
      .select({ id: events.id, seq: events.seq })
      .from(events)
      .where(inArray(events.id, ids))
      .orderBy(asc(events.seq));
    expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(await eventCount(database.db, "acme")).toBe(before + 40);
    // No sequence number was taken by a duplicate: the tenant's seqs are 1..n with no gap.
    const seqs = (
      await database.db.select({ seq: events.seq }).from(events).where(eq(events.tenant, "acme"))
    ).map((r) => r.seq);
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const v = await verifyTenantChain(database.db, { tenant: "acme", keys: verifyKeys });
    expect(v).toMatchObject({ ok: true, firstBrokenSeq: null, rows: before + 40 });
  });

  it("reports the same id with other content as a conflict and keeps the original", async () => {
    const original = makeEvent("acme", { outcome: "allowed", reason: "first" });
    const first = await send(acmeKey, [original]);
    expect(first.body.results).toEqual([{ id: original.id, status: "created" }]);
    const fresh = makeEvent("acme");
    const changed = { ...original, outcome: "denied", reason: "second" };
    const second = await send(acmeKey, [changed, fresh, original]);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ accepted: 1, duplicates: 1, conflicts: 1 });
    expect(second.body.results.map((r) => r.status)).toEqual(["conflict", "created", "duplicate"]);
    const [row] = await database.db
      .select()
      .from(events)
      .where(eq(events.id, original.id as string));
    expect(row).toMatchObject({ outcome: "allowed", reason: "first" });
  });

  it("judges an id repeated inside one batch like a retry", async () => {
    const a = makeEvent("acme");
    const res = await send(acmeKey, [a, a, { ...a, reason: "other" }]);
    expect(res.body.results.map((r) => r.status)).toEqual(["created", "duplicate", "conflict"]);
    expect(
      await database.db
        .select({ id: events.id })
        .from(events)
        .where(eq(events.id, a.id as string)),
    ).toHaveLength(1);
  });

  it("keeps one tenant's event and another tenant's event with the same id apart (ids are per tenant)", async () => {
    const ev = makeEvent("acme");
    await send(acmeKey, [ev]);
    // Issue 11: "conflict" here told globex's key that acme had used the id.
    const res = await send(globexKey, [{ ...ev, tenant: "globex" }]);
    expect(res.body.results).toEqual([{ id: ev.id, status: "created" }]);
    const rows = await database.db
      .select({ tenant: events.tenant })
      .from(events)
      .where(eq(events.id, ev.id as string))
      .orderBy(events.tenant);
    expect(rows).toEqual([{ tenant: "acme" }, { tenant: "globex" }]);
    expect((await verifyTenantChain(database.db, { tenant: "globex", keys: verifyKeys })).ok).toBe(true);
  });

  it("normalises id spelling so a retry in other case is still a duplicate", async () => {
    const ev = makeEvent("acme");
    await send(acmeKey, [ev]);
    const res = await send(acmeKey, [{ ...ev, id: (ev.id as string).toUpperCase() }]);
    expect(res.body.results[0]?.status).toBe("duplicate");
  });

  it("records capabilities with parent, root, ancestors and depth, filling paths when parents arrive late", async () => {
    const cap = (id: string, extra: Record<string, unknown>) => ({
      id,
      hash: `sha256:${"ab".repeat(32)}`,
      summary: { principal: "bob@acme.example" },
      ...extra,
    });
    // Grandchild first (parent unknown, root known), then the root, then the middle one.
    const grandchild = makeEvent("acme", {
      capability: cap("g-1", { parentId: "p-1", rootId: "r-1", depth: 2 }),
    });
    await send(acmeKey, [grandchild]);
    let [g] = await database.db.select().from(capabilities).where(eq(capabilities.id, "g-1"));
    expect(g).toMatchObject({ parentId: "p-1", rootId: "r-1", depth: 2, ancestors: [], kind: "attenuated" });

    const root = makeEvent("acme", { type: "capability.minted", capability: cap("r-1", { kind: "minted" }) });
    const middle = makeEvent("acme", {
      type: "capability.attenuated",
      capability: cap("p-1", { parentId: "r-1", rootId: "r-1" }),
    });
    const sibling = makeEvent("acme", { capability: cap("s-1", { parentId: "p-1" }) });
    await send(acmeKey, [root]);
    await send(acmeKey, [middle, sibling]);
    const rows = await database.db
      .select()
      .from(capabilities)
      .where(inArray(capabilities.id, ["r-1", "p-1", "g-1", "s-1"]))
      .orderBy(asc(capabilities.depth), asc(capabilities.id));
    expect(rows.map((r) => [r.id, r.parentId, r.rootId, r.ancestors, r.depth])).toEqual([
      ["r-1", null, "r-1", [], 0],
      ["p-1", "r-1", "r-1", ["r-1"], 1],
      ["g-1", "p-1", "r-1", ["r-1", "p-1"], 2],
      ["s-1", "p-1", "r-1", ["r-1", "p-1"], 2],
    ]);
    [g] = await database.db.select().from(capabilities).where(eq(capabilities.id, "g-1"));
    expect(g?.principal).toBe("bob@acme.example");
    expect(g?.tokenHash).toBe(`sha256:${"ab".repeat(32)}`);
  });

  it("takes ancestors from summary.chain when the client sends it", async () => {
    const ev = makeEvent("acme", {
      capability: {
        id: "c-3",
        hash: `sha256:${"cd".repeat(32)}`,
        summary: { chain: ["c-1", "c-2", "c-3"], issuedAt: "2026-11-26T09:00:00.000Z" },
      },
    });
    await send(acmeKey, [ev]);
    const [c] = await database.db.select().from(capabilities).where(eq(capabilities.id, "c-3"));
    expect(c).toMatchObject({ parentId: "c-2", rootId: "c-1", ancestors: ["c-1", "c-2"], depth: 2 });
    expect(c?.issuedAt?.toISOString()).toBe("2026-11-26T09:00:00.000Z");
  });

  it("upserts sessions with first and last activity", async () => {
    const early = makeEvent("globex", {
      session: "sess_g1",
      principal: "gina@globex.example",
      ts: "2026-11-26T08:00:00.000Z",
    });
    const late = makeEvent("globex", {
      session: "sess_g1",
      principal: "gina@globex.example",
      ts: "2026-11-26T10:00:00.000Z",
    });
    await send(globexKey, [late]);
    await send(globexKey, [early]);
    const [s] = await database.db.select().from(sessions).where(eq(sessions.id, "sess_g1"));
    expect(s).toMatchObject({ tenant: "globex", principal: "gina@globex.example" });
    expect(s?.startedAt.toISOString()).toBe("2026-11-26T08:00:00.000Z");
    expect(s?.lastSeenAt?.toISOString()).toBe("2026-11-26T10:00:00.000Z");
  });

  it("signs no checkpoint under the tenant's lock; the checkpointer signs the new head once", async () => {
    const globexCheckpoints = () =>
      database.db.select().from(checkpoints).where(eq(checkpoints.tenant, "globex"));
    await checkpointMovedHeads(database.db, { signer });
    const n = (await globexCheckpoints()).length;
    const ev = makeEvent("globex");
    expect((await send(globexKey, [ev])).body.accepted).toBe(1);
    expect(await globexCheckpoints()).toHaveLength(n);
    const signed = await checkpointMovedHeads(database.db, { signer });
    const v = await verifyTenantChain(database.db, { tenant: "globex", keys: verifyKeys });
    expect(signed.filter((c) => c.tenant === "globex").map((c) => c.seq)).toEqual([v.headSeq]);
    // A pure retry moves no head, so nothing more is signed.
    expect((await send(globexKey, [ev])).body.duplicates).toBe(1);
    expect(await checkpointMovedHeads(database.db, { signer })).toEqual([]);
    expect(await globexCheckpoints()).toHaveLength(n + 1);
    expect(v.ok).toBe(true);
  });

  it("stores awkward but valid content so that it verifies when read back", async () => {
    const ev = makeEvent("globex", {
      ts: "2026-11-26T10:14:03.512345+01:00",
      reason: "línea 1\n\tlínea 2 — ü 😀 \u2028",
      cost: 0.30000000000000004,
      fields: [],
      meta: {
        z: 1,
        a: [1.5, -0, 1e21, 2 ** 60, "", null, true, { nested: ["ü", { "": 0 }] }],
        "key with spaces": "x",
        emoji: "😀",
      },
    });
    const res = await send(globexKey, [ev]);
    expect(res.body.accepted).toBe(1);
    expect((await send(globexKey, [ev])).body.duplicates).toBe(1);
    expect(await verifyTenantChain(database.db, { tenant: "globex", keys: verifyKeys })).toMatchObject({
      ok: true,
    });
  });

  it("records when a key was last used", async () => {
    const [k] = await database.db
      .select({ lastUsedAt: apiKeys.lastUsedAt })
      .from(apiKeys)
      .where(and(eq(apiKeys.tenant, "acme"), eq(apiKeys.source, "test-agent")));
    expect(k?.lastUsedAt).toBeInstanceOf(Date);
  });
});
