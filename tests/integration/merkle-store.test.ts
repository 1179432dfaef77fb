import { asc, eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { merkleNodes, treeCheckpoints } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { checkpointMovedHeads, coverTenantHeadNow } from "@/lib/audit/checkpointer";
import { type Hash, rootOf } from "@/lib/merkle/hash";
import { openNote, parseCheckpointText, parseVkey } from "@/lib/merkle/note";
import { appendLeaves, mapSource, nodeKey } from "@/lib/merkle/proof";
import { treeOrigin, vkeysFor } from "@/lib/merkle/sign";
import {
  fetchNodes,
  getConsistencyProof,
  getInclusionProofs,
  getLatestTreeCheckpoint,
  getTreeCheckpointAtLeast,
  STORED_FROM_LEVEL,
} from "@/lib/merkle/store";
import { verifyConsistency, verifyInclusion } from "@/lib/merkle/verify";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends, hasPostgres, openTempPostgres } from "../support/db";
import { append, content, leavesOf } from "../support/merkle-fixtures";

// Issue 15: the Merkle tree kept by appendEvents and the tree checkpoints the checkpointer signs,
// checked against an in-memory tree (lib/merkle/proof.ts, itself checked against the public
// vectors of RFC 6962/9162 in tests/unit/merkle/proofs.test.ts: transparency-dev/merkle
// testdata, see tests/fixtures/merkle/NOTE.md) and the RFC 9162 verifier.

const LOG = "console.test/capability-console";
/**
 * The stored nodes equal, one for one, the nodes of STORED_FROM_LEVEL or higher that an in-memory
 * tree of the same leaves completes (the lower ones are derived from the rows), and every node a
 * proof may ask for, stored or derived, reads back as the in-memory tree's.
 */
async function expectStoreMatches(db: Database["db"], tenant: string, leaves: Hash[]) {
  const all = appendLeaves(0, leaves, mapSource(new Map())).nodes;
  const want = all.filter((n) => n.level >= STORED_FROM_LEVEL);
  const read = await fetchNodes(db, tenant, all);
  expect(read.size).toBe(all.length);
  for (const n of all)
    expect(Buffer.from(read.get(nodeKey(n)) ?? []).toString("hex")).toBe(Buffer.from(n.hash).toString("hex"));
  const stored = await db
    .select({ level: merkleNodes.level, index: merkleNodes.idx, hash: merkleNodes.hash })
    .from(merkleNodes)
    .where(eq(merkleNodes.tenant, tenant));
  const hex = (h: Uint8Array) => Buffer.from(h).toString("hex");
  const asMap = (ns: { level: number; index: number; hash: Uint8Array }[]) =>
    new Map(ns.map((n) => [nodeKey(n), hex(n.hash)]));
  expect(asMap(stored)).toEqual(asMap(want));
}

/** Every checkpoint: note signed for the tenant's origin, root right, every leaf proved, consistent with every other. */
async function expectCheckpointsProve(
  db: Database["db"],
  tenant: string,
  leaves: Hash[],
  publicKeys: string[],
) {
  const origin = treeOrigin(LOG, tenant);
  const vkeys = vkeysFor(origin, publicKeys).map(parseVkey);
  const cps = await db
    .select()
    .from(treeCheckpoints)
    .where(eq(treeCheckpoints.tenant, tenant))
    .orderBy(asc(treeCheckpoints.size));
  expect(cps.length).toBeGreaterThan(0);
  for (const cp of cps) {
    const text = parseCheckpointText(openNote(cp.note, vkeys).text);
    expect(text.origin).toBe(origin);
    expect(text.size).toBe(cp.size);
    expect(Buffer.from(text.root).equals(Buffer.from(rootOf(leaves.slice(0, cp.size))))).toBe(true);
    const indices = Array.from({ length: cp.size }, (_, i) => i);
    const proofs = await getInclusionProofs(db, { tenant, indices, size: cp.size });
    for (const i of indices)
      expect(
        verifyInclusion({
          index: i,
          size: cp.size,
          leaf: leaves[i] as Hash,
          proof: proofs.get(i) ?? [],
          root: cp.root,
        }),
      ).toBe(true);
  }
  for (const a of cps)
    for (const b of cps) {
      if (a.size > b.size) continue;
      const proof = await getConsistencyProof(db, { tenant, from: a.size, to: b.size });
      expect(verifyConsistency({ size1: a.size, size2: b.size, proof, root1: a.root, root2: b.root })).toBe(
        true,
      );
    }
}

describe.each(backends)("the Merkle store on $name", (backend) => {
  let database: Database;
  const key = generateConsoleKey();

  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(() => database.close());

  it("keeps the stored nodes equal to an in-memory tree; every proof verifies against every later checkpoint", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ tenant: fc.constantFrom("a", "b", "c"), n: fc.integer({ min: 1, max: 9 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        async (batches, checkpointAfter) => {
          run += 1;
          const tenant = (t: string) => `fc${run}-${t}`;
          for (const [i, b] of batches.entries()) {
            // Some batches span two tenants, as ingest batches may.
            const other = b.tenant === "a" ? "b" : "a";
            await append(database.db, [...content(tenant(b.tenant), b.n), ...content(tenant(other), i % 2)]);
            if (checkpointAfter[i]) await checkpointMovedHeads(database.db, { signer: key, logOrigin: LOG });
          }
          await checkpointMovedHeads(database.db, { signer: key, logOrigin: LOG });
          for (const t of ["a", "b", "c"]) {
            const leaves = await leavesOf(database.db, tenant(t));
            await expectStoreMatches(database.db, tenant(t), leaves);
            if (leaves.length > 0)
              await expectCheckpointsProve(database.db, tenant(t), leaves, [key.publicKey]);
          }
        },
      ),
      { numRuns: 6 },
    );
  });

  it("a checkpoint signed with key A still verifies after rotating to key B, with both published vkeys", async () => {
    const a = generateConsoleKey();
    const b = generateConsoleKey();
    await append(database.db, content("rot", 5));
    await checkpointMovedHeads(database.db, { signer: a, logOrigin: LOG });
    await append(database.db, content("rot", 4));
    await checkpointMovedHeads(database.db, { signer: b, logOrigin: LOG });
    const leaves = await leavesOf(database.db, "rot");
    await expectCheckpointsProve(database.db, "rot", leaves, [a.publicKey, b.publicKey]);
    const old = await getTreeCheckpointAtLeast(database.db, "rot", 1);
    expect(old?.size).toBe(5);
    expect(old?.kid).toBe(a.kid);
    // Only B published: A's checkpoint is refused, so the old vkey is what keeps it verifiable.
    const onlyB = vkeysFor(treeOrigin(LOG, "rot"), [b.publicKey]).map(parseVkey);
    expect(() => openNote(old?.note ?? "", onlyB)).toThrow(/no signature by a trusted key/);
    // Another tenant's vkeys do not verify this tenant's checkpoint (the origin is the key name).
    const otherTenant = vkeysFor(treeOrigin(LOG, "other"), [a.publicKey, b.publicKey]).map(parseVkey);
    expect(() => openNote(old?.note ?? "", otherTenant)).toThrow();
  });

  it("a rolled-back append leaves no trace in the tree (nor in the cached right edge)", async () => {
    await append(database.db, content("rb", 5));
    await expect(
      database.db.transaction(async (tx) => {
        await appendEvents(tx, content("rb", 3));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await append(database.db, content("rb", 4));
    await append(database.db, content("rb", 2));
    const leaves = await leavesOf(database.db, "rb");
    expect(leaves).toHaveLength(11);
    await expectStoreMatches(database.db, "rb", leaves);
  });

  it("signs a tenant whose head is below another tenant's latest checkpoint (chain and tree)", async () => {
    await append(database.db, content("big", 30));
    await checkpointMovedHeads(database.db, { signer: key, logOrigin: LOG });
    await append(database.db, content("small", 2));
    const signed = await checkpointMovedHeads(database.db, { signer: key, logOrigin: LOG });
    expect(signed.map((c) => [c.tenant, c.seq, c.tree?.size])).toEqual([["small", 2, 2]]);
  });

  it("coverTenantHeadNow returns a checkpoint covering the head without waiting for a round", async () => {
    await append(database.db, content("now", 3));
    const cp = await coverTenantHeadNow(database.db, { tenant: "now", signer: key, logOrigin: LOG });
    expect(cp?.size).toBe(3);
    expect((await getLatestTreeCheckpoint(database.db, "now"))?.size).toBe(3);
    expect(
      await coverTenantHeadNow(database.db, { tenant: "nobody", signer: key, logOrigin: LOG }),
    ).toBeNull();
  });
});

describe.runIf(hasPostgres)("the Merkle store under concurrent appenders on PostgreSQL", () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTempPostgres();
  });
  afterAll(() => database.close());

  it("two concurrent appenders on one tenant still produce the in-memory tree", async () => {
    const key = generateConsoleKey();
    const writer = async (rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        await append(database.db, [...content("busy", 1 + (i % 5)), ...content("quiet", i % 2)]);
        if (i % 4 === 0) await checkpointMovedHeads(database.db, { signer: key, logOrigin: LOG });
      }
    };
    await Promise.all([writer(25), writer(25)]);
    await checkpointMovedHeads(database.db, { signer: key, logOrigin: LOG });
    for (const tenant of ["busy", "quiet"]) {
      const leaves = await leavesOf(database.db, tenant);
      expect(leaves.length).toBeGreaterThan(20);
      await expectStoreMatches(database.db, tenant, leaves);
      await expectCheckpointsProve(database.db, tenant, leaves, [key.publicKey]);
    }
  });
});
