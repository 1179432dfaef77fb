// The per-tenant Merkle tree in the database (issue 15; docs/evidence.md). merkle_nodes holds every
// complete perfect subtree, written by appendEvents in the transaction that appends the events,
// so the tree and the chain commit or fail together. Reads ask for exactly the nodes a proof
// needs (lib/merkle/proof.ts plans them) in one query, with the ids as one JSON parameter.
import { and, asc, desc, eq, gt, gte, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { chainHeads, events, type TreeCheckpoint, treeCheckpoints } from "@/db/schema";
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

/**
 * `(level = l and idx in (...)) or ...`: one index range scan per level on the primary key. (A
 * join against a JSON list of ids was planned as a scan of the tenant's whole tree.)
 */
function byLevel(ids: readonly NodeId[]) {
  const levels = new Map<number, number[]>();
  for (const id of ids) levels.set(id.level, [...(levels.get(id.level) ?? []), id.index]);
  return sql.join(
    [...levels].map(
      ([level, idx]) =>
        sql`(level = ${level} and idx in (${sql.join(
          idx.map((i) => sql`${i}`),
          sql`, `,
        )}))`,
    ),
    sql` or `,
  );
}

/** The stored nodes among `ids` (missing ones absent), in one query per 2,000 ids. */
export async function fetchNodes(
  db: Executor,
  tenant: string,
  ids: readonly NodeId[],
): Promise<Map<string, Hash>> {
  const unique = [...new Map(ids.map((id) => [nodeKey(id), id])).values()];
  const out = new Map<string, Hash>();
  for (let at = 0; at < unique.length; at += 2000) {
    const res = (await db.execute(sql`
      select level, idx, encode(hash, 'hex') as hash from merkle_nodes
       where tenant = ${tenant} and (${byLevel(unique.slice(at, at + 2000))})`)) as {
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

/**
 * Adds to the tenant's tree the events that have no leaf yet, in seq order, under the chain-head
 * lock: for writers that bypass appendEvents (the bulk seed, lib/demo/large.ts). Returns how
 * many leaves it added. Refuses a gap in the seqs rather than build a tree that skips an event.
 */
export async function catchUpTree(db: Db, tenant: string): Promise<number> {
  return db.transaction(async (tx) => {
    await tx
      .select({ seq: chainHeads.seq })
      .from(chainHeads)
      .where(eq(chainHeads.tenant, tenant))
      .for("update");
    const res = (await tx.execute(
      sql`select coalesce(max(idx) + 1, 0) as n from merkle_nodes where tenant = ${tenant} and level = 0`,
    )) as { rows: { n: string | number }[] };
    let size = Number(res.rows[0]?.n ?? 0);
    let added = 0;
    for (;;) {
      const rows = await tx
        .select({ seq: events.seq, contentHash: events.contentHash })
        .from(events)
        .where(and(eq(events.tenant, tenant), gt(events.seq, size)))
        .orderBy(asc(events.seq))
        .limit(5000);
      if (rows.length === 0) return added;
      rows.forEach((r, i) => {
        if (r.seq !== size + i + 1) throw new Error(`${tenant}: event seq ${size + i + 1} is missing`);
      });
      await appendTreeLeaves(tx, { tenant, size, leaves: rows.map((r) => leafOfContentHash(r.contentHash)) });
      size += rows.length;
      added += rows.length;
    }
  });
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
