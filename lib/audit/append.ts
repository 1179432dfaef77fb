import { eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { chainHeads, events, type NewEvent } from "@/db/schema";
import {
  leafOfContentHash,
  type NewTreeNode,
  planTreeLeaves,
  treeNodesInsert,
  treeNodesJson,
} from "@/lib/merkle/store";
import { type ChainedContent, chainHash, contentHash, GENESIS_HASH } from "./chain";
import { type RollupRow, rollupCtes } from "./rollups";
import { ensureSubjectKeys, subjectsOf } from "./subjects";

/**
 * Locks the tenant's chain head row (creating it at genesis), which serialises the tenant's
 * writers until the transaction ends: every appender takes it before reading what it appends to.
 */
export async function lockChainHead(tx: Executor, tenant: string): Promise<{ seq: number; hash: string }> {
  await tx.insert(chainHeads).values({ tenant, seq: 0, hash: GENESIS_HASH }).onConflictDoNothing();
  const [head] = await tx
    .select({ seq: chainHeads.seq, hash: chainHeads.hash })
    .from(chainHeads)
    .where(eq(chainHeads.tenant, tenant))
    .for("update");
  if (!head) throw new Error(`chain head for ${tenant} missing after insert`);
  return head;
}

/**
 * Appends events to their tenants' hash chains. Must run inside the caller's transaction, so
 * the audit record commits or fails together with what it records. Locks each tenant's chain
 * head row, which serialises writers per tenant and gives consecutive sequence numbers, and
 * under that lock adds the events as leaves of the tenant's Merkle tree (lib/merkle/store.ts):
 * leaf seq-1, once, in the same transaction.
 */
export async function appendEvents(
  tx: Executor,
  batch: ChainedContent[],
  /** Content hashes the caller already computed, in batch order (ingest needs them first). */
  knownHashes?: readonly string[],
  /**
   * tree: false only for bench/groups/merkle.ts (ingest with vs without) and tests writing a
   * pre-0005 schema; rollups: false only for tests writing a schema before 0012 (no rollup tables).
   */
  internal: { tree?: boolean; rollups?: boolean } = {},
): Promise<NewEvent[]> {
  const hashOf = new Map<ChainedContent, string>();
  batch.forEach((e, i) => {
    const h = knownHashes?.[i];
    if (h) hashOf.set(e, h);
  });
  const byTenant = new Map<string, ChainedContent[]>();
  for (const e of batch) {
    const list = byTenant.get(e.tenant) ?? [];
    list.push(e);
    byTenant.set(e.tenant, list);
  }
  const rows: NewEvent[] = [];
  const nodes: NewTreeNode[] = [];
  // Sorted tenant order: two transactions touching the same tenants lock them in one order.
  for (const tenant of [...byTenant.keys()].sort()) {
    let { seq, hash } = await lockChainHead(tx, tenant);
    const size = seq;
    const headHash = hash;
    const leaves: Uint8Array[] = [];
    const list = byTenant.get(tenant) ?? [];
    // Erasable events the caller did not hash need their subjects' keys (created if new).
    const subjects = subjectsOf(list.filter((e) => !hashOf.has(e)));
    const keys = subjects.length > 0 ? await ensureSubjectKeys(tx, tenant, subjects) : undefined;
    for (const e of list) {
      const ch = hashOf.get(e) ?? contentHash(e, keys);
      seq += 1;
      const next = chainHash({ tenant, seq, prevHash: hash, contentHash: ch });
      rows.push({
        ...e,
        meta: e.meta ?? {},
        tier: e.tier ?? "attested",
        contentHash: ch,
        seq,
        prevHash: hash,
        hash: next,
      });
      if (internal.tree !== false) leaves.push(leafOfContentHash(ch));
      hash = next;
    }
    nodes.push(...(await planTreeLeaves(tx, { tenant, size, leaves, head: headHash, nextHead: hash })));
    await tx
      .update(chainHeads)
      .set({ seq, hash, updatedAt: sql`now()` })
      .where(eq(chainHeads.tenant, tenant));
  }
  if (rows.length > 0) await insertEventRows(tx, rows, nodes, internal.rollups !== false);
  return rows;
}

// Column names come from our own schema, never from input; receivedAt keeps its default.
const COLUMNS = Object.entries(getTableColumns(events)).filter(([key]) => key !== "receivedAt");
// Attested rows leave `tier` to its default (issue 13), rows of content version 1 leave
// `content_version` to its, and `erased` is never set by a writer: the statement stays what it
// was before the columns existed, so code running against an older schema (a migration test)
// still works.
const OPTIONAL = new Set(["tier", "contentVersion", "erased"]);
const BASE = COLUMNS.filter(([key]) => !OPTIONAL.has(key));
const columnsFor = (observed: boolean, erasable: boolean) =>
  COLUMNS.filter(
    ([key]) => !OPTIONAL.has(key) || (key === "tier" && observed) || (key === "contentVersion" && erasable),
  );
/** Every column, received_at included: rows put back as they were stored (a restored archive). */
export const ALL_EVENT_COLUMNS = Object.entries(getTableColumns(events));

/**
 * `insert into events (…) select … from json_populate_recordset(…)` of `rows` over `columns`
 * (schema keys and their columns; names from our schema, never from input).
 */
export function eventsInsert(rows: readonly Record<string, unknown>[], columns: typeof COLUMNS): SQL {
  const list = sql.raw(columns.map(([, c]) => `"${c.name}"`).join(", "));
  return sql`insert into events (${list}) select ${list} from json_populate_recordset(null::events, ${recordsetJson(rows, columns)}::json)`;
}

/**
 * `rows` (by schema key) as the JSON array json_populate_recordset reads: each object keyed by
 * column name, every column present (null when unset), timestamps in ISO 8601.
 */
export function recordsetJson(
  rows: readonly Record<string, unknown>[],
  columns: readonly (readonly [string, { name: string }])[],
): string {
  return JSON.stringify(
    rows.map((r) =>
      Object.fromEntries(
        columns.map(([key, col]) => {
          const v = r[key];
          return [col.name, v instanceof Date ? v.toISOString() : (v ?? null)];
        }),
      ),
    ),
  );
}

/**
 * One statement with one JSON parameter: PostgreSQL expands it with json_populate_recordset.
 * Thousands of bound parameters (a multi-row VALUES) cost more to build and to parse. The
 * Merkle nodes ride in the same statement (a data-modifying CTE): a round trip per batch less.
 */
async function insertEventRows(
  tx: Executor,
  rows: NewEvent[],
  nodes: NewTreeNode[],
  rollups: boolean,
): Promise<void> {
  const observed = rows.some((r) => r.tier === "observed");
  const erasable = rows.some((r) => (r.contentVersion ?? 1) !== 1);
  const insertEvents = eventsInsert(
    rows.map((r) => ({ ...r, tier: r.tier ?? "attested", contentVersion: r.contentVersion ?? 1 })),
    observed || erasable ? columnsFor(observed, erasable) : BASE,
  );
  // The Overview's rollups (lib/audit/rollups.ts) ride in the same statement too.
  const ctes = rollups ? rollupCtes(rows as RollupRow[]) : [];
  if (nodes.length > 0) ctes.unshift(sql`tree as (${treeNodesInsert(treeNodesJson(nodes))})`);
  if (ctes.length === 0) await tx.execute(insertEvents);
  else await tx.execute(sql`with ${sql.join(ctes, sql`, `)} ${insertEvents}`);
}
