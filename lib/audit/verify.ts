import { and, asc, eq, gt } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { type Checkpoint, chainHeads, checkpoints, events } from "@/db/schema";
import { chainHash, contentHash, GENESIS_HASH } from "./chain";
import { type CheckpointKeys, checkpointVerifier } from "./checkpoint";
import { latestCut } from "./cuts";
import { ContentUnverifiable, ErasureLedger, loadSubjectKeys, subjectsOf } from "./subjects";
import { TreeVerifier } from "./verify-tree";

export interface ChainProblem {
  seq: number;
  problem: string;
}

export interface TenantVerification {
  tenant: string;
  ok: boolean;
  /** Rows read from the events table. */
  rows: number;
  /** The last sequence number whose row verified in order from genesis. */
  verifiedSeq: number;
  headSeq: number | null;
  /** The head that was verified (from the same snapshot as the rows), or null without a head. */
  headHash: string | null;
  checkpoints: number;
  latestCheckpoint: { seq: number; hash: string; signedAt: Date; kid: string } | null;
  /** Rows after the latest checkpoint: not yet signed (the checkpointer's bound says for how long). */
  uncovered: number;
  /** When the first of those rows was received, or null when every row is covered. */
  oldestUncoveredAt: Date | null;
  /** The first sequence number that does not verify, or null. */
  firstBrokenSeq: number | null;
  /** The retention cut verification started from (rows up to its seq were archived), or null. */
  anchor: { seq: number; before: Date; cutAt: Date; archive: string; archiveSha256: string } | null;
  /** The first few problems, in sequence order (chain and Merkle tree together). */
  problems: ChainProblem[];
  /** The Merkle tree (issue 15): its signed checkpoints and the first leaf that does not verify. */
  tree: {
    checkpoints: number;
    latestCheckpoint: { size: number; signedAt: Date; kid: string } | null;
    firstBrokenLeaf: { seq: number; eventId: string | null } | null;
  };
}

const PAGE = 2000;
const MAX_PROBLEMS = 20;

/**
 * The whole verification reads one snapshot: under READ COMMITTED every statement sees the latest
 * commits, so a batch committing between reading the head, the checkpoints and the rows made an
 * intact chain look broken ("rows go past the chain head"). REPEATABLE READ READ ONLY never waits
 * for, nor blocks, a writer on PostgreSQL; PGlite runs one transaction at a time anyway.
 */
function inSnapshot<T>(db: Db, run: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(run, { isolationLevel: "repeatable read", accessMode: "read only" });
}

/** verifyTenantChainIn on one snapshot of its own. */
export function verifyTenantChain(
  db: Db,
  args: { tenant: string; keys: CheckpointKeys },
): Promise<TenantVerification> {
  return inSnapshot(db, (tx) => verifyTenantChainIn(tx, args));
}

/**
 * Re-derives a tenant's hash chain from its rows and checks it against the chain head and every
 * signed checkpoint. Finds an edited row (content hash), a deleted row (a gap), rows swapped or
 * renumbered (the link to the previous hash), a truncated tail (the head or a checkpoint names a
 * later seq than the rows reach) and a rewritten chain (a checkpoint's hash or signature).
 * Reads in pages of PAGE rows by seq, so memory stays flat on a long chain. Run it inside a
 * REPEATABLE READ transaction (verifyTenantChain does): the head, checkpoints and rows must come
 * from one snapshot. The same pass re-derives the tenant's Merkle tree (verify-tree.ts) and checks
 * the stored nodes and signed tree checkpoints against it, naming the first broken leaf.
 */
export async function verifyTenantChainIn(
  db: Executor,
  args: { tenant: string; keys: CheckpointKeys },
): Promise<TenantVerification> {
  const { tenant } = args;
  const problems: ChainProblem[] = [];
  const report = (seq: number, problem: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ seq, problem });
  };
  const [head] = await db
    .select({ seq: chainHeads.seq, hash: chainHeads.hash })
    .from(chainHeads)
    .where(eq(chainHeads.tenant, tenant));
  const cps = await db
    .select()
    .from(checkpoints)
    .where(eq(checkpoints.tenant, tenant))
    .orderBy(asc(checkpoints.seq), asc(checkpoints.id));
  const verifySig = checkpointVerifier(args.keys);
  const bySeq = new Map<number, Checkpoint[]>();
  for (const c of cps) {
    const sig = verifySig(c);
    if (sig !== "ok")
      report(
        c.seq,
        sig === "unknown_kid" ? `checkpoint signed by unknown key ${c.kid}` : "checkpoint signature invalid",
      );
    bySeq.set(c.seq, [...(bySeq.get(c.seq) ?? []), c]);
  }

  // A retention cut (docs/retention.md): rows up to its seq were archived and deleted, and the
  // chain is verified from it. Its hash must be what a signed checkpoint at that seq says, and the
  // tenant's own chain must record the cut (console.retention.cut, after it) with the same hash.
  const cut = await latestCut(db, tenant);
  const anchor = cut?.seq ?? 0;
  if (cut) {
    const signed = (bySeq.get(cut.seq) ?? []).some((c) => c.hash === cut.hash && verifySig(c) === "ok");
    if (!signed)
      report(cut.seq, `the retention cut at seq ${cut.seq} has no signed checkpoint with its hash`);
    const recorded = await db
      .select({ meta: events.meta })
      .from(events)
      .where(
        and(eq(events.tenant, tenant), eq(events.type, "console.retention.cut"), gt(events.seq, cut.seq)),
      );
    if (!recorded.some((r) => r.meta.toSeq === cut.seq && r.meta.hash === cut.hash))
      report(cut.seq, `the retention cut at seq ${cut.seq} is not recorded in the chain after it`);
  }

  const tree = await TreeVerifier.start(db, { tenant, keys: args.keys, anchor });
  const erasures = new ErasureLedger(anchor);

  let expectedSeq = anchor + 1;
  let prevHash = cut?.hash ?? GENESIS_HASH;
  let rows = 0;
  // Once the chain has broken, later rows are not trusted as "verified" even if they link up.
  let broken = false;
  let verifiedSeq = anchor;
  let lastSeq = anchor;
  const coveredSeq = cps.at(-1)?.seq ?? 0;
  let uncovered = 0;
  let oldestUncoveredAt: Date | null = null;
  for (let after = anchor; ; ) {
    const page = await db
      .select()
      .from(events)
      .where(and(eq(events.tenant, tenant), gt(events.seq, after)))
      .orderBy(asc(events.seq))
      .limit(PAGE);
    // Erasable rows hash with their subjects' keys (lib/audit/subjects.ts); erased rows need none.
    const keys = await loadSubjectKeys(db, tenant, subjectsOf(page));
    for (const row of page) {
      rows += 1;
      erasures.row(row);
      if (row.seq !== expectedSeq) {
        report(
          expectedSeq,
          row.seq > expectedSeq ? `rows ${expectedSeq}..${row.seq - 1} missing` : "duplicate seq",
        );
        broken = true;
      }
      if (row.prevHash !== prevHash) {
        report(row.seq, "prev_hash does not link to the previous row (row deleted, moved or reordered)");
        broken = true;
      }
      try {
        if (contentHash(row, keys) !== row.contentHash) {
          report(row.seq, "content differs from its content hash (row edited)");
          broken = true;
        }
      } catch (err) {
        if (!(err instanceof ContentUnverifiable)) throw err;
        report(row.seq, `${err.message}: its content cannot be checked`);
        broken = true;
      }
      const recomputed = chainHash({
        tenant,
        seq: row.seq,
        prevHash: row.prevHash,
        contentHash: row.contentHash,
      });
      if (recomputed !== row.hash) {
        report(row.seq, "hash does not match seq, prev_hash and content hash (row edited or renumbered)");
        broken = true;
      }
      for (const c of bySeq.get(row.seq) ?? []) {
        if (c.hash !== row.hash) {
          report(row.seq, "differs from the signed checkpoint (chain rewritten)");
          broken = true;
        }
      }
      if (!broken) verifiedSeq = row.seq;
      if (row.seq > coveredSeq) {
        uncovered += 1;
        oldestUncoveredAt ??= row.receivedAt;
      }
      prevHash = row.hash;
      expectedSeq = row.seq + 1;
      lastSeq = row.seq;
    }
    await tree.page(page, keys);
    const last = page.at(-1);
    if (!last || page.length < PAGE) break;
    after = last.seq;
  }

  if (head) {
    if (head.seq > lastSeq)
      report(lastSeq + 1, `chain head says seq ${head.seq} but rows end at ${lastSeq} (tail removed)`);
    else if (head.seq < lastSeq) report(head.seq + 1, `rows go past the chain head (seq ${head.seq})`);
    else if (head.hash !== prevHash) report(lastSeq, "chain head hash differs from the last row");
  } else if (rows > 0) {
    report(1, "rows without a chain head");
  }
  const maxCp = cps.at(-1);
  if (maxCp && maxCp.seq > lastSeq)
    report(
      lastSeq + 1,
      `signed checkpoint covers seq ${maxCp.seq} but rows end at ${lastSeq} (tail removed)`,
    );

  // Every erased row must belong to an erasure recorded after it (lib/audit/subjects.ts).
  for (const p of erasures.problems()) report(p.seq, p.problem);

  await tree.finish();
  const treeProblems = [...tree.problems].sort((a, b) => a.seq - b.seq);
  for (const p of treeProblems.slice(0, MAX_PROBLEMS)) report(p.seq, `Merkle tree: ${p.problem}`);
  const firstLeaf = treeProblems[0];
  if (firstLeaf && firstLeaf.eventId === null) {
    const [row] = await db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.tenant, tenant), eq(events.seq, firstLeaf.seq)));
    firstLeaf.eventId = row?.id ?? null;
  }
  const latestTree = tree.checkpoints.at(-1);

  problems.sort((a, b) => a.seq - b.seq);
  const firstBrokenSeq = problems[0]?.seq ?? null;
  return {
    tenant,
    ok: problems.length === 0,
    rows,
    verifiedSeq: firstBrokenSeq === null ? verifiedSeq : Math.min(verifiedSeq, firstBrokenSeq - 1),
    headSeq: head?.seq ?? null,
    headHash: head?.hash ?? null,
    checkpoints: cps.length,
    latestCheckpoint: maxCp
      ? { seq: maxCp.seq, hash: maxCp.hash, signedAt: maxCp.signedAt, kid: maxCp.kid }
      : null,
    uncovered,
    oldestUncoveredAt,
    firstBrokenSeq,
    anchor: cut
      ? {
          seq: cut.seq,
          before: cut.before,
          cutAt: cut.cutAt,
          archive: cut.archive,
          archiveSha256: cut.archiveSha256,
        }
      : null,
    problems,
    tree: {
      checkpoints: tree.checkpoints.length,
      latestCheckpoint: latestTree
        ? { size: latestTree.size, signedAt: latestTree.signedAt, kid: latestTree.kid }
        : null,
      firstBrokenLeaf: firstLeaf ? { seq: firstLeaf.seq, eventId: firstLeaf.eventId } : null,
    },
  };
}

/** Every tenant that has a chain, events or checkpoints: a tenant whose head was deleted still shows. */
export async function listChainTenants(db: Executor): Promise<string[]> {
  // One after the other: inside a transaction they share one connection.
  const lists = [
    await db.selectDistinct({ tenant: chainHeads.tenant }).from(chainHeads),
    await db.selectDistinct({ tenant: events.tenant }).from(events),
    await db.selectDistinct({ tenant: checkpoints.tenant }).from(checkpoints),
  ];
  return [...new Set(lists.flat().map((r) => r.tenant))].sort();
}

/** Every tenant's chain (or the given ones), all from one snapshot. */
export function verifyChains(
  db: Db,
  args: { tenants?: readonly string[]; keys: CheckpointKeys },
): Promise<TenantVerification[]> {
  return inSnapshot(db, async (tx) => {
    const tenants = args.tenants ?? (await listChainTenants(tx));
    const out: TenantVerification[] = [];
    for (const tenant of tenants) out.push(await verifyTenantChainIn(tx, { tenant, keys: args.keys }));
    return out;
  });
}
