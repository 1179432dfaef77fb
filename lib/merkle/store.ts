// The per-tenant Merkle tree in the database (issue 15; docs/evidence.md). merkle_nodes holds every
// complete perfect subtree of STORED_FROM_LEVEL or higher, written by appendEvents in the
// transaction that appends the events, so the tree and the chain commit or fail together. The
// levels below are not stored: a node there covers at most 2^(STORED_FROM_LEVEL-1) leaves, and a
// leaf is SHA-256(0x00 ‖ the event's content hash), so they are recomputed from events.content_hash
// (one indexed range read of at most 16 rows per block). That keeps the tree's write cost at about
// one row per eight events instead of two rows per event. Reads ask for exactly the nodes a proof
// needs (lib/merkle/proof.ts plans them): one query for the stored ones, one for the leaf blocks.
import { and, asc, desc, eq, gt, gte, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { chainHeads, events, type TreeCheckpoint, treeCheckpoints } from "@/db/schema";
import { type Hash, leafHash, nodeHash } from "./hash";
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

/**
 * Nodes below this level are derived from the events' content hashes, not stored. Old databases
 * may still hold rows below it (migration 0005's backfill wrote every level): they are never read.
 */
export const STORED_FROM_LEVEL = 4;
const BLOCK = 2 ** STORED_FROM_LEVEL;

/** The nodes among `ids` (missing ones absent): stored ones in one query per 2,000 ids, low ones from their leaves. */
export async function fetchNodes(
  db: Executor,
  tenant: string,
  ids: readonly NodeId[],
): Promise<Map<string, Hash>> {
  const all = [...new Map(ids.map((id) => [nodeKey(id), id])).values()];
  const unique = all.filter((id) => id.level >= STORED_FROM_LEVEL);
  const out = await derivedNodes(
    db,
    tenant,
    all.filter((id) => id.level < STORED_FROM_LEVEL),
  );
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
 * The nodes below STORED_FROM_LEVEL among `ids`, hashed up from their leaves: the events whose
 * seq is leaf index + 1, read as whole blocks of BLOCK leaves (a node there lies in one block).
 * A node with a leaf missing (no such event yet) is left out, as a missing stored node is.
 */
async function derivedNodes(
  db: Executor,
  tenant: string,
  ids: readonly NodeId[],
): Promise<Map<string, Hash>> {
  const out = new Map<string, Hash>();
  if (ids.length === 0) return out;
  const blocks = [...new Set(ids.map((id) => Math.floor((id.index * 2 ** id.level) / BLOCK)))].sort(
    (a, b) => a - b,
  );
  const leaves = new Map<number, Hash>();
  for (let at = 0; at < blocks.length; at += 500) {
    const ranges = sql.join(
      blocks.slice(at, at + 500).map((b) => sql`(seq between ${b * BLOCK + 1} and ${(b + 1) * BLOCK})`),
      sql` or `,
    );
    const res = (await db.execute(
      sql`select seq, content_hash from events where tenant = ${tenant} and (${ranges})`,
    )) as { rows: { seq: string | number; content_hash: string }[] };
    for (const r of res.rows) leaves.set(Number(r.seq) - 1, leafOfContentHash(r.content_hash));
  }
  // Leaves a retention cut deleted (docs/retention.md): the cut stored the low pieces of its
  // block's edge, read only where a leaf is gone, so a kept event's proof still resolves.
  const stored = new Map<string, Hash>();
  const hashOf = (level: number, index: number): Hash | undefined => {
    const kept = stored.get(nodeKey({ level, index }));
    if (kept) return kept;
    if (level === 0) return leaves.get(index);
    const l = hashOf(level - 1, 2 * index);
    const r = l && hashOf(level - 1, 2 * index + 1);
    return l && r ? nodeHash(l, r) : undefined;
  };
  const gaps = [
    ...new Set(
      ids
        .filter((id) => !hashOf(id.level, id.index))
        .map((id) => Math.floor((id.index * 2 ** id.level) / BLOCK)),
    ),
  ];
  if (gaps.length > 0) {
    const res = (await db.execute(sql`
      select level, idx, encode(hash, 'hex') as hash from merkle_nodes
       where tenant = ${tenant} and level < ${STORED_FROM_LEVEL} and (${sql.join(
         gaps.map((b) => sql`((idx * (1::bigint << level)) between ${b * BLOCK} and ${(b + 1) * BLOCK - 1})`),
         sql` or `,
       )})`)) as { rows: { level: number; idx: string | number; hash: string }[] };
    for (const r of res.rows)
      stored.set(nodeKey({ level: Number(r.level), index: Number(r.idx) }), Buffer.from(r.hash, "hex"));
  }
  for (const id of ids) {
    const h = hashOf(id.level, id.index);
    if (h) out.set(nodeKey(id), h);
  }
  return out;
}

/**
 * Before a retention cut at `size` deletes the leaves below it: stores the pieces of the tree's
 * edge at `size` that lie below STORED_FROM_LEVEL (at most three: the part of the last block the
 * cut ends inside), so proofs of the kept leaves in that block, and the tree at `size`, resolve.
 */
export async function keepEdgeBelowStoredLevel(db: Executor, tenant: string, size: number): Promise<void> {
  const low = nodesForRoot(size).filter((id) => id.level < STORED_FROM_LEVEL);
  if (low.length === 0) return;
  const nodes = await fetchNodes(db, tenant, low);
  const rows = low.map((id) => {
    const hash = nodes.get(nodeKey(id));
    if (!hash) throw new Error(`tenant ${tenant}: leaves of node ${nodeKey(id)} are missing`);
    return { tenant, level: id.level, index: id.index, hash };
  });
  await db.execute(sql`${treeNodesInsert(treeNodesJson(rows))} on conflict do nothing`);
}

// The right edge of each tenant's tree as this process last wrote it, keyed by the chain head
// (seq, hash) it belongs to. The head hash commits to every content hash before it, hence to every
// leaf, so an entry whose head matches the locked head row is the stored edge, and appendEvents
// skips reading it (one query per batch less). A rolled-back append leaves an entry for a head
// that never commits; another writer's append moves the head: both simply miss.
const edges = new Map<string, { seq: number; hash: string; edge: Map<string, Hash> }>();
const MAX_CACHED_EDGES = 10_000;

export interface NewTreeNode {
  tenant: string;
  level: number;
  index: number;
  hash: Hash;
}

/**
 * The nodes that appending `leaves` to a tenant's stored tree of `size` leaves completes, for the
 * caller to insert in its transaction (insertTreeNodes, or with the events in one statement as
 * appendEvents does). The right edge (the perfect pieces of [0, size)) is read unless cached.
 * Call only under the tenant's chain-head lock, which serialises its writers; the primary key
 * refuses a node written twice, so a writer that skipped the lock fails instead of forking the
 * tree. With `head` (the chain hash at `size`) and `nextHead` (at size + leaves), the new edge
 * is cached for the next append.
 */
export async function planTreeLeaves(
  tx: Executor,
  args: { tenant: string; size: number; leaves: readonly Hash[]; head?: string; nextHead?: string },
): Promise<NewTreeNode[]> {
  if (args.leaves.length === 0) return [];
  const cached = edges.get(args.tenant);
  const edge =
    args.head && cached && cached.seq === args.size && cached.hash === args.head
      ? cached.edge
      : await fetchNodes(tx, args.tenant, nodesForRoot(args.size));
  const { nodes, size } = appendLeaves(args.size, args.leaves, mapSource(edge));
  if (args.nextHead) {
    const made = new Map(nodes.map((n) => [nodeKey(n), n.hash]));
    const get = mapSource(new Map([...edge, ...made]));
    if (edges.size >= MAX_CACHED_EDGES) edges.clear();
    edges.set(args.tenant, {
      seq: size,
      hash: args.nextHead,
      edge: new Map(nodesForRoot(size).map((id) => [nodeKey(id), get(id)])),
    });
  }
  return nodes
    .filter((n) => n.level >= STORED_FROM_LEVEL)
    .map((n) => ({ tenant: args.tenant, level: n.level, index: n.index, hash: n.hash }));
}

/** One JSON parameter for treeNodesInsert: [tenant, level, idx, hex hash] per node. */
export const treeNodesJson = (nodes: readonly NewTreeNode[]) =>
  JSON.stringify(nodes.map((n) => [n.tenant, n.level, n.index, Buffer.from(n.hash).toString("hex")]));

/** `insert into merkle_nodes ...` from treeNodesJson's parameter (also usable as a CTE). */
export const treeNodesInsert = (json: string) => sql`
  insert into merkle_nodes (tenant, level, idx, hash)
  select r->>0, (r->>1)::smallint, (r->>2)::bigint, decode(r->>3, 'hex')
    from json_array_elements(${json}::json) r`;

export async function appendTreeLeaves(
  tx: Executor,
  args: { tenant: string; size: number; leaves: readonly Hash[] },
): Promise<void> {
  const nodes = await planTreeLeaves(tx, args);
  if (nodes.length > 0) await tx.execute(treeNodesInsert(treeNodesJson(nodes)));
}

/**
 * Writes the stored nodes (levels STORED_FROM_LEVEL and up) that the tenant's events complete
 * and the tree lacks, in seq order, under the chain-head lock: for writers that bypass
 * appendEvents (the bulk seed, lib/demo/large.ts). Returns how many events it added to the
 * stored tree (those past its last complete block; a partial block needs no row). Refuses a gap
 * in the seqs rather than build a tree that skips an event.
 */
export async function catchUpTree(db: Db, tenant: string): Promise<number> {
  return db.transaction(async (tx) => {
    const [head] = await tx
      .select({ seq: chainHeads.seq })
      .from(chainHeads)
      .where(eq(chainHeads.tenant, tenant))
      .for("update");
    // The stored tree covers whole blocks: up to the end of its last node at STORED_FROM_LEVEL.
    const res = (await tx.execute(
      sql`select coalesce(max(idx) + 1, 0) as n from merkle_nodes where tenant = ${tenant} and level = ${STORED_FROM_LEVEL}`,
    )) as { rows: { n: string | number }[] };
    let size = Number(res.rows[0]?.n ?? 0) * BLOCK;
    const last = await tx
      .select({ seq: events.seq })
      .from(events)
      .where(eq(events.tenant, tenant))
      .orderBy(desc(events.seq))
      .limit(1);
    const end = Math.max(head?.seq ?? 0, last[0]?.seq ?? 0);
    // Nothing but a partial block past the stored tree: its nodes are derived, none to write.
    if (Math.floor(end / BLOCK) * BLOCK <= size) return 0;
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
