import { and, eq, gt, inArray, or, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { durableCommit } from "@/db/durability";
import { type Checkpoint, chainHeads, checkpoints, events, treeCheckpoints } from "@/db/schema";
import { loadConfig } from "@/lib/config";
import { runExclusive } from "@/lib/jobs";
import { signTreeCheckpoint, treeOrigin } from "@/lib/merkle/sign";
import { getLatestTreeCheckpoint, type StoredTreeCheckpoint, treeRoot } from "@/lib/merkle/store";
import { type Rounds, startRounds } from "@/lib/rounds";
import { type CheckpointSigner, signCheckpoint } from "./checkpoint";

/**
 * The promise docs/ingest.md makes: every committed event, whoever wrote it (ingest, a server
 * action, a sign-in), is covered by a signed checkpoint within this many milliseconds.
 */
export const CHECKPOINT_BOUND_MS = 5_000;
/** How often each console process looks for moved heads; the bound leaves room for a slow round. */
export const CHECKPOINT_INTERVAL_MS = 1_000;

export interface SignedCheckpoint extends Omit<Checkpoint, "id"> {
  /** How long the oldest event it newly covers waited for a checkpoint (received_at to signing). */
  lagMs: number;
  /** The tree checkpoint (C2SP signed note) signed for the same head in the same round. */
  tree?: { size: number; note: string };
}

/**
 * Signs and stores the tenant's tree checkpoint at `size` leaves. Both checkpoints are kept, in
 * one round: the chain checkpoint (checkpoints) is what verify-log and existing exports already
 * check and costs one signature, while the tree checkpoint is what proofs and evidence bundles
 * are checked against; dropping the first would orphan every older chain checkpoint's meaning.
 */
async function signTreeHead(
  tx: Executor,
  args: { tenant: string; size: number; signer: CheckpointSigner; logOrigin: string; signedAt: Date },
): Promise<{ size: number; note: string }> {
  const root = await treeRoot(tx, { tenant: args.tenant, size: args.size });
  const origin = treeOrigin(args.logOrigin, args.tenant);
  const note = signTreeCheckpoint(args.signer, { origin, size: args.size, root });
  await tx.insert(treeCheckpoints).values({
    tenant: args.tenant,
    size: args.size,
    root,
    origin,
    note,
    signedAt: args.signedAt,
    kid: args.signer.kid,
  });
  return { size: args.size, note };
}

/**
 * Signs a checkpoint for every tenant whose chain head moved past its latest checkpoint. Reads
 * only committed heads and never locks chain_heads, so ingest and console writes never wait for
 * it, and a checkpoint can never name a head that is later rolled back. Returns what it signed:
 * nothing when another instance holds the round.
 */
export async function checkpointMovedHeads(
  db: Db,
  args: {
    signer: CheckpointSigner;
    now?: () => Date;
    /** The Merkle log's name (lib/config.ts logOrigin); the configured one when omitted. */
    logOrigin?: string;
    log?: (message: string, err?: unknown) => void;
    /** Only these tenants (an export covering its own tenant signs nobody else's head). */
    tenants?: readonly string[];
  },
): Promise<SignedCheckpoint[]> {
  const logOrigin = args.logOrigin ?? loadConfig().logOrigin;
  // One round at a time across every console instance on one PostgreSQL (lib/jobs.ts), so two
  // instances never sign the same head: the other's round signs nothing.
  const round = await runExclusive(db, "checkpoint", async (tx) => {
    // Signed checkpoints are evidence: durable even on the background's async-commit connections.
    await durableCommit(tx);
    // Taken after the lock: a round that just committed elsewhere is visible (READ COMMITTED).
    // "chain_heads"."tenant" spelled out: drizzle renders ${chainHeads.tenant} as a bare "tenant"
    // in a one-table select, which inside the subquery meant c.tenant = c.tenant, so a tenant
    // whose head was below another tenant's latest checkpoint was never signed.
    const covered = sql<number>`coalesce((select max(c.seq) from ${checkpoints} c where c.tenant = "chain_heads"."tenant"), 0)`;
    const treeCovered = sql<number>`coalesce((select max(t.size) from ${treeCheckpoints} t where t.tenant = "chain_heads"."tenant"), 0)`;
    const due = await tx
      .select({ tenant: chainHeads.tenant, seq: chainHeads.seq, hash: chainHeads.hash, covered, treeCovered })
      .from(chainHeads)
      .where(
        and(
          gt(chainHeads.seq, 0),
          or(sql`${chainHeads.seq} > ${covered}`, sql`${chainHeads.seq} > ${treeCovered}`),
          args.tenants ? inArray(chainHeads.tenant, [...args.tenants]) : undefined,
        ),
      )
      .orderBy(chainHeads.tenant);
    const signed: SignedCheckpoint[] = [];
    for (const head of due) {
      // The tree's nodes for this size committed with the head (appendEvents), so its root is
      // readable now. A tree that cannot be computed (nodes missing: a damaged store) must not
      // stop the chain checkpoints: it is logged, and verify-log names what is missing.
      let tree: SignedCheckpoint["tree"];
      if (head.seq > Number(head.treeCovered)) {
        try {
          tree = await signTreeHead(tx, {
            tenant: head.tenant,
            size: head.seq,
            signer: args.signer,
            logOrigin,
            signedAt: new Date((args.now?.() ?? new Date()).getTime()),
          });
        } catch (err) {
          (args.log ?? console.error)(`[checkpointer] tenant ${head.tenant}: no tree checkpoint`, err);
        }
      }
      if (head.seq <= Number(head.covered)) continue;
      const row = signCheckpoint(
        args.signer,
        { tenant: head.tenant, seq: head.seq, hash: head.hash },
        args.now?.(),
      );
      await tx.insert(checkpoints).values(row);
      const [oldest] = await tx
        .select({ receivedAt: events.receivedAt })
        .from(events)
        .where(and(eq(events.tenant, head.tenant), eq(events.seq, Number(head.covered) + 1)));
      const lagMs = oldest ? row.signedAt.getTime() - oldest.receivedAt.getTime() : 0;
      signed.push({ ...row, lagMs, ...(tree ? { tree } : {}) });
    }
    return signed;
  });
  return round.ran ? round.value : [];
}

export type Checkpointer = Rounds<SignedCheckpoint[]>;

/**
 * Runs checkpointMovedHeads every intervalMs in this process until stopped. Rounds never
 * overlap (the next is scheduled when one ends), the timer does not keep the process alive, and
 * a failed round is logged and retried on the next tick. A round whose oldest newly covered
 * event waited longer than the bound is logged, so a missed bound is visible, not silent.
 */
export function startCheckpointer(
  db: Db,
  opts: {
    signer: CheckpointSigner;
    logOrigin?: string;
    intervalMs?: number;
    log?: (message: string, err?: unknown) => void;
  },
): Checkpointer {
  const interval = opts.intervalMs ?? CHECKPOINT_INTERVAL_MS;
  const log = opts.log ?? ((m, e) => console.error(`[checkpointer] ${m}`, e ?? ""));
  const round = async (): Promise<SignedCheckpoint[]> => {
    const signed = await checkpointMovedHeads(db, { signer: opts.signer, logOrigin: opts.logOrigin, log });
    for (const c of signed)
      if (c.lagMs > CHECKPOINT_BOUND_MS)
        log(
          `tenant ${c.tenant}: events waited ${c.lagMs} ms for checkpoint seq ${c.seq} (bound ${CHECKPOINT_BOUND_MS} ms)`,
        );
    return signed;
  };
  return startRounds({ intervalMs: interval, round, empty: [], log });
}

/**
 * A tree checkpoint covering the tenant's head as it is now: the latest one if it does, else
 * after running a signing round here (waiting for another instance's round when it holds the
 * lock). For exports, which should not wait up to CHECKPOINT_BOUND_MS. Null for a tenant without
 * events.
 */
export async function coverTenantHeadNow(
  db: Db,
  args: { tenant: string; signer: CheckpointSigner; logOrigin?: string; timeoutMs?: number },
): Promise<StoredTreeCheckpoint | null> {
  const deadline = Date.now() + (args.timeoutMs ?? CHECKPOINT_BOUND_MS);
  const [head] = await db
    .select({ seq: chainHeads.seq })
    .from(chainHeads)
    .where(eq(chainHeads.tenant, args.tenant));
  if (!head || head.seq === 0) return null;
  for (;;) {
    const latest = await getLatestTreeCheckpoint(db, args.tenant);
    if (latest && latest.size >= head.seq) return latest;
    if (Date.now() > deadline)
      throw new Error(`no tree checkpoint covers ${args.tenant} seq ${head.seq} yet; retry shortly`);
    const signed = await checkpointMovedHeads(db, {
      signer: args.signer,
      logOrigin: args.logOrigin,
      tenants: [args.tenant],
    });
    if (signed.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
}
