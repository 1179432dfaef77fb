// The per-tenant Merkle tree in the database (issue 15; docs/evidence.md). merkle_nodes holds every
// complete perfect subtree, written by appendEvents in the transaction that appends the events,
// so the tree and the chain commit or fail together. Reads ask for exactly the nodes a proof
// needs (lib/merkle/proof.ts plans them) in one query, with the ids as one JSON parameter.
import { and, asc, desc, eq, gte, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { type TreeCheckpoint, treeCheckpoints } from "@/db/schema";
import { type Hash, leafHash } from "./hash";
import {
  appendLeaves,
  consistencyProof,
  inclusionProof,
  mapSource,
  type NodeId,
  nodeKey,
  nodesForConsistency,
  nodesForInclusion,
  nodesForRoot,
  rootFromNodes,
} from "./proof";

/** Contract §1: the leaf data is the 32 raw bytes of the event's "sha256:<hex>" content hash. */
export function leafOfContentHash(contentHash: string): Hash {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(contentHash)?.[1];
  if (!hex) throw new Error(`not a sha256 content hash: ${JSON.stringify(contentHash.slice(0, 80))}`);
  return leafHash(Buffer.from(hex, "hex"));
}

/** The stored nodes among `ids` (missing ones absent), in one query per 5,000 ids. */
export async function fetchNodes(
  db: Executor,
  tenant: string,
  ids: readonly NodeId[],
): Promise<Map<string, Hash>> {
  const unique = [...new Map(ids.map((id) => [nodeKey(id), id])).values()];
  const out = new Map<string, Hash>();
  for (let at = 0; at < unique.length; at += 5000) {
    const want = JSON.stringify(unique.slice(at, at + 5000).map((id) => [id.level, id.index]));
    const res = (await db.execute(sql`
      select n.level, n.idx, encode(n.hash, 'hex') as hash
        from json_array_elements(${want}::json) w
        join merkle_nodes n
          on n.tenant = ${tenant} and n.level = (w->>0)::smallint and n.idx = (w->>1)::bigint`)) as {
      rows: { level: number; idx: string | number; hash: string }[];
    };
    for (const r of res.rows)
      out.set(nodeKey({ level: Number(r.level), index: Number(r.idx) }), Buffer.from(r.hash, "hex"));
  }
  return out;
}

/**
 * Appends leaves to a tenant's stored tree of `size` leaves: the right edge (the perfect pieces
 * of [0, size)) is read, the nodes the new leaves complete are inserted. Call only under the
 * tenant's chain-head lock (appendEvents), which serialises its writers; the primary key refuses
 * a node written twice, so a writer that skipped the lock fails instead of forking the tree.
 */
export async function appendTreeLeaves(
  tx: Executor,
  args: { tenant: string; size: number; leaves: readonly Hash[] },
): Promise<void> {
  if (args.leaves.length === 0) return;
  const edge = await fetchNodes(tx, args.tenant, nodesForRoot(args.size));
  const { nodes } = appendLeaves(args.size, args.leaves, mapSource(edge));
  const rows = JSON.stringify(nodes.map((n) => [n.level, n.index, Buffer.from(n.hash).toString("hex")]));
  await tx.execute(sql`
    insert into merkle_nodes (tenant, level, idx, hash)
    select ${args.tenant}, (r->>0)::smallint, (r->>1)::bigint, decode(r->>2, 'hex')
      from json_array_elements(${rows}::json) r`);
}

/** MTH of the tenant's first `size` leaves, from stored nodes (throws naming a missing node). */
export async function treeRoot(db: Executor, args: { tenant: string; size: number }): Promise<Hash> {
  const nodes = await fetchNodes(db, args.tenant, nodesForRoot(args.size));
  return rootFromNodes(args.size, mapSource(nodes));
}

export interface StoredTreeCheckpoint {
  size: number;
  root: Uint8Array;
  /** The full signed note (C2SP tlog-checkpoint). */
  note: string;
  signedAt: Date;
  kid: string;
}

const shape = (r: TreeCheckpoint): StoredTreeCheckpoint => ({
  size: r.size,
  root: r.root,
  note: r.note,
  signedAt: r.signedAt,
  kid: r.kid,
});

export async function getLatestTreeCheckpoint(
  db: Executor,
  tenant: string,
): Promise<StoredTreeCheckpoint | null> {
  const [row] = await db
    .select()
    .from(treeCheckpoints)
    .where(eq(treeCheckpoints.tenant, tenant))
    .orderBy(desc(treeCheckpoints.size))
    .limit(1);
  return row ? shape(row) : null;
}

/** The oldest stored checkpoint whose tree has at least `size` leaves. */
export async function getTreeCheckpointAtLeast(
  db: Executor,
  tenant: string,
  size: number,
): Promise<StoredTreeCheckpoint | null> {
  const [row] = await db
    .select()
    .from(treeCheckpoints)
    .where(and(eq(treeCheckpoints.tenant, tenant), gte(treeCheckpoints.size, size)))
    .orderBy(asc(treeCheckpoints.size))
    .limit(1);
  return row ? shape(row) : null;
}

export async function getTreeCheckpoint(
  db: Executor,
  tenant: string,
  size: number,
): Promise<StoredTreeCheckpoint | null> {
  const [row] = await db
    .select()
    .from(treeCheckpoints)
    .where(and(eq(treeCheckpoints.tenant, tenant), eq(treeCheckpoints.size, size)));
  return row ? shape(row) : null;
}

/** Inclusion proofs of leaves `indices` in the tenant's tree of `size`, all nodes in one query. */
export async function getInclusionProofs(
  db: Executor,
  args: { tenant: string; indices: readonly number[]; size: number },
): Promise<Map<number, Uint8Array[]>> {
  const plans = args.indices.map((i) => nodesForInclusion(i, args.size));
  const get = mapSource(await fetchNodes(db, args.tenant, plans.flat()));
  return new Map(args.indices.map((i) => [i, inclusionProof(i, args.size, get)]));
}

/** RFC 9162 consistency proof from the tenant's tree of `from` leaves to the one of `to`. */
export async function getConsistencyProof(
  db: Executor,
  args: { tenant: string; from: number; to: number },
): Promise<Uint8Array[]> {
  const get = mapSource(await fetchNodes(db, args.tenant, nodesForConsistency(args.from, args.to)));
  return consistencyProof(args.from, args.to, get);
}
